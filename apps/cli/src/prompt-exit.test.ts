import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

// A script may answer a prompt and keep its end of the pipe open (it is waiting for our output).
// Once the command is done with its prompts, the process must exit anyway.
test('after answering from a pipe that stays open, the process exits', { timeout: 20_000 }, async () => {
  const prompter = new URL('./prompt.js', import.meta.url).href;
  const script = `
    const { createPrompter } = await import(${JSON.stringify(prompter)});
    const p = createPrompter({ stdin: process.stdin, stderr: process.stderr });
    const answer = await p.ask('code: ');
    p.close();
    process.stdout.write('answer=' + answer);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d; });
  child.stdin.write('12345678\n'); // and never end()
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0);
  assert.equal(stdout, 'answer=12345678');
});
