/**
 * What the terminal wrapper (`hold.ts`) does when the command it ran ends. VS Code closes an
 * integrated terminal as soon as its process exits, so a `cws run` or `cws build` that failed
 * would take its error (cargo's messages) with it; the wrapper keeps the terminal open then, as
 * VS Code's tasks do, until a key is pressed.
 */

import { constants } from 'os';

/** How the wrapper ends: whether it waits for a key first, and its own exit code. */
export interface Ending {
  hold: boolean;
  exitCode: number;
}

/**
 * A command that succeeded, or was stopped by a signal (Ctrl-C, the terminal closing), ends the
 * terminal at once; one that failed on its own keeps it until a key is pressed. The exit code is
 * the command's (128 + the signal's number for a signal, as shells report it).
 */
export function ending(code: number | null, signal: string | null): Ending {
  if (signal) return { hold: false, exitCode: 128 + (constants.signals[signal as NodeJS.Signals] ?? 0) };
  const exitCode = code ?? 1;
  return { hold: exitCode !== 0, exitCode };
}

/** How the held terminal's line ends (what a test waits for). */
export const PRESS_ANY_KEY = 'Press any key to close this terminal.';

/** The line shown under a failed command's output while the terminal is held. */
export function holdMessage(program: string, exitCode: number): string {
  return `\n${program} exited with code ${exitCode}. ${PRESS_ANY_KEY}\n`;
}

/** The held line of {@link holdMessage}, whatever the program and code. */
const HOLD_LINE = new RegExp(`exited with code \\d+\\. ${PRESS_ANY_KEY.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);

/** Whether a terminal's text shows the held line of {@link holdMessage}. */
export function showsHoldLine(text: string): boolean {
  return HOLD_LINE.test(text);
}
