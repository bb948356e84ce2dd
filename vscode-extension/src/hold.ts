// The program the extension's terminals run: `node hold.js PROGRAM ARGS...` runs PROGRAM on the
// terminal (its standard streams are the terminal's: prompts, colours and Ctrl-C work as if it ran
// alone) and, when it fails on its own, keeps the terminal open with its output until a key is
// pressed (VS Code closes a terminal whose process exited). No shell in between.
import { spawn } from 'child_process';
import * as path from 'path';
import { ending, holdMessage } from './logic/hold';

function main(argv: string[]): void {
  const [program, ...args] = argv;
  if (!program) {
    process.stderr.write('usage: hold.js PROGRAM [ARGS...]\n');
    process.exit(2);
  }
  // Ctrl-C reaches the whole foreground group: the program decides what it means (`cws run`
  // stops its service); this wrapper waits for it to end.
  process.on('SIGINT', () => undefined);
  // ELECTRON_RUN_AS_NODE made VS Code's Electron run this file as Node; the command does not inherit it.
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(program, args, { stdio: 'inherit', env });
  child.on('error', (e) => {
    process.stderr.write(`cannot start ${program}: ${e.message}\n`);
    hold(program, 127);
  });
  child.on('exit', (code, signal) => {
    const end = ending(code, signal);
    if (end.hold) hold(program, end.exitCode);
    else process.exit(end.exitCode);
  });
}

let holding = false;

function hold(program: string, exitCode: number): void {
  if (holding) return;
  holding = true;
  process.stdout.write(holdMessage(path.basename(program), exitCode));
  const stdin = process.stdin;
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.once('data', () => process.exit(exitCode));
  stdin.once('end', () => process.exit(exitCode));
  stdin.resume();
}

main(process.argv.slice(2));
