// Test-only (Node): reads the RFC 9180 Appendix A vectors from their Markdown text (shared/test-vectors/hpke/).
import { readFileSync } from 'node:fs';

// dist/test-support/ → dist → packages/crypto → packages → main → /work, where shared/ lives.
const HPKE_VECTORS_URL = new URL('../../../../../shared/test-vectors/hpke/rfc9180-appendix-a-x25519-p256.md', import.meta.url);

export interface HpkeEncryption { readonly seq: number; readonly pt: string; readonly aad: string; readonly nonce: string; readonly ct: string }
export interface HpkeExport { readonly exporterContext: string; readonly length: number; readonly value: string }

/** One setup of Appendix A: every value is lowercase hex, as written; absent ones (psk in base mode, …) are undefined. */
export interface HpkeVector {
  readonly suite: string;
  readonly mode: number;
  readonly kemId: number;
  readonly kdfId: number;
  readonly aeadId: number;
  readonly setup: Readonly<Record<string, string>>;
  readonly encryptions: readonly HpkeEncryption[];
  readonly exports: readonly HpkeExport[];
}

/**
 * Fields are `name: value`, where the value may start on the next line and run over several lines (hex only);
 * records inside a block are separated by blank lines.
 */
function parseRecords(block: string): Array<Record<string, string>> {
  const records: Array<Record<string, string>> = [];
  let current: Record<string, string> | undefined;
  let field: string | undefined;
  for (const line of block.split('\n')) {
    const text = line.trim();
    if (text === '') {
      current = undefined;
      field = undefined;
      continue;
    }
    const named = /^([A-Za-z_ ]+):\s*([0-9a-f]*)$/.exec(text);
    if (named) {
      if (current === undefined) records.push((current = {}));
      field = named[1]!;
      if (field in current) throw new Error(`HPKE vectors: ${field} twice in one record`);
      current[field] = named[2]!;
    } else if (/^[0-9a-f]+$/.test(text) && current !== undefined && field !== undefined) {
      current[field] += text;
    } else {
      throw new Error(`HPKE vectors: cannot read line ${JSON.stringify(line)}`);
    }
  }
  return records;
}

function field(record: Record<string, string>, name: string): string {
  const value = record[name];
  if (value === undefined) throw new Error(`HPKE vectors: a record lacks ${name}`);
  return value;
}

function one(records: Array<Record<string, string>>): Record<string, string> {
  if (records.length !== 1) throw new Error(`HPKE vectors: expected one setup record, got ${records.length}`);
  return records[0]!;
}

/** Every setup of the file, in order: sections "## suite" → "### <Mode> Setup Information" ~~~…~~~, then
 * "#### Encryptions" and "#### Exported Values" blocks. */
export function loadHpkeVectors(): HpkeVector[] {
  const text = readFileSync(HPKE_VECTORS_URL, 'utf8');
  const vectors: HpkeVector[] = [];
  for (const suiteSection of text.split(/^## /m).slice(1)) {
    const suite = suiteSection.slice(0, suiteSection.indexOf('\n')).trim();
    for (const modeSection of suiteSection.split(/^### /m).slice(1)) {
      const blocks = [...modeSection.matchAll(/^(#### [^\n]+\n)?~~~\n([\s\S]*?)^~~~$/gm)];
      const [setupBlock, encBlock, expBlock] = blocks.map((b) => ({ heading: b[1] ?? '', body: b[2]! }));
      if (blocks.length !== 3 || setupBlock!.heading !== '' || !encBlock!.heading.includes('Encryptions') || !expBlock!.heading.includes('Exported Values')) {
        throw new Error(`HPKE vectors: unexpected layout in ${suite} / ${modeSection.slice(0, 40)}`);
      }
      const setup = one(parseRecords(setupBlock!.body));
      const encryptions = parseRecords(encBlock!.body).map((r) => ({
        seq: Number(field(r, 'sequence number')),
        pt: field(r, 'pt'),
        aad: field(r, 'aad'),
        nonce: field(r, 'nonce'),
        ct: field(r, 'ct'),
      }));
      const exports = parseRecords(expBlock!.body).map((r) => ({
        exporterContext: field(r, 'exporter_context'),
        length: Number(field(r, 'L')),
        value: field(r, 'exported_value'),
      }));
      vectors.push({
        suite,
        mode: Number(field(setup, 'mode')),
        kemId: Number(field(setup, 'kem_id')),
        kdfId: Number(field(setup, 'kdf_id')),
        aeadId: Number(field(setup, 'aead_id')),
        setup,
        encryptions,
        exports,
      });
    }
  }
  return vectors;
}
