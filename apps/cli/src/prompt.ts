// Questions to the person at the terminal, or answers from a script. Prompts are written to stderr.
// On a TTY, secrets are read with echo off. Without a TTY, ONE line reader serves the whole process, so that
// `printf 'password\ncode\n' | valise login …` answers several prompts in order (a reader per prompt would
// lose the lines buffered by the previous one).
import { type Interface, createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CliError, EXIT, InterruptedError } from './exit-codes.js';

export interface PromptIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface Prompter {
  /** True when a person can answer (stdin is a TTY). */
  readonly interactive: boolean;
  ask(question: string): Promise<string>;
  /** Like ask, without echoing what is typed. */
  askSecret(question: string): Promise<string>;
  /** Releases stdin so the process can exit. */
  close(): void;
}

export function createPrompter(io: PromptIo): Prompter {
  return io.stdin.isTTY ? new TtyPrompter(io) : new PipedPrompter(io);
}

class TtyPrompter implements Prompter {
  readonly interactive = true;
  constructor(private readonly io: PromptIo) {}

  ask(question: string): Promise<string> {
    return this.read(question, false);
  }

  askSecret(question: string): Promise<string> {
    return this.read(question, true);
  }

  close(): void {}

  private read(question: string, secret: boolean): Promise<string> {
    const { stdin, stderr } = this.io;
    let muted = false;
    // Readline echoes what is typed to its output; for secrets that output swallows everything.
    const output = new Writable({
      write(chunk, encoding, callback) {
        if (!muted) stderr.write(chunk, encoding);
        callback();
      },
    });
    const rl = createInterface({ input: stdin, output, terminal: true, historySize: 0 });
    return new Promise<string>((resolve, reject) => {
      let answered = false;
      rl.on('SIGINT', () => {
        stderr.write('\n');
        rl.close();
        reject(new InterruptedError());
      });
      rl.on('close', () => {
        if (!answered) reject(new InterruptedError());
      });
      // Readline redraws its own prompt: a visible question must be its prompt, or typing would erase it.
      // A secret's question is written before muting, and readline's redraws are swallowed.
      if (secret) stderr.write(question);
      muted = secret;
      rl.question(secret ? '' : question, (answer) => {
        answered = true;
        if (secret) stderr.write('\n');
        rl.close();
        resolve(answer);
      });
    });
  }
}

class PipedPrompter implements Prompter {
  readonly interactive = false;
  private reader: Interface | undefined;
  private readonly lines: string[] = [];
  private readonly waiting: { question: string; resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  private ended = false;

  constructor(private readonly io: PromptIo) {}

  ask(question: string): Promise<string> {
    this.io.stderr.write(question);
    const promise = new Promise<string>((resolve, reject) => this.waiting.push({ question, resolve, reject }));
    this.start().resume();
    this.drain();
    return promise.finally(() => this.io.stderr.write('\n'));
  }

  askSecret(question: string): Promise<string> {
    return this.ask(question); // nothing is echoed without a terminal
  }

  close(): void {
    this.reader?.close();
    // A script may keep its end of the pipe open after answering: release stdin so the process can exit.
    (this.io.stdin as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    this.ended = true;
    this.drain();
  }

  private start(): Interface {
    if (!this.reader) {
      this.reader = createInterface({ input: this.io.stdin, terminal: false, crlfDelay: Infinity });
      this.reader.on('line', (line) => {
        this.lines.push(line);
        this.drain();
      });
      this.reader.on('close', () => {
        this.ended = true;
        this.drain();
      });
    }
    return this.reader;
  }

  private drain(): void {
    while (this.waiting.length > 0 && this.lines.length > 0) this.waiting.shift()!.resolve(this.lines.shift()!);
    if (this.ended) {
      for (const w of this.waiting.splice(0)) {
        w.reject(new CliError(EXIT.usage, `no answer on standard input for "${w.question.trim().replace(/:$/u, '')}"`));
      }
    }
    // Nobody waiting: stop reading so that an open stdin does not keep the process alive.
    if (this.waiting.length === 0 && !this.ended) this.reader?.pause();
  }
}
