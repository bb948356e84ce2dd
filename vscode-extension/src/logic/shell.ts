/** POSIX shell quoting of argument vectors, the same rule as the server's `shell_line`. */

const PLAIN = /^[A-Za-z0-9\-_./{}:=@%+]+$/;

/** One argument, single-quoted when it holds anything but plain characters. */
export function quote(arg: string): string {
  return PLAIN.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

/** One shell line for an argument vector. */
export function shellLine(argv: readonly string[]): string {
  return argv.map(quote).join(' ');
}
