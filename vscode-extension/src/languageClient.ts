/**
 * The language client of `coworks-lsp`, with the server process in the extension's hands
 * (`logic/serverProcess.ts`): vscode-languageclient's own notifications are turned off (its messages
 * stay in the CoWorks output channel) and the extension shows one message per failure — a server
 * that does not start, or one that keeps crashing.
 */

import * as vscode from 'vscode';
import { CloseAction, ErrorAction, LanguageClient, type LanguageClientOptions } from 'vscode-languageclient/node';

import { ServerProcess } from './logic/serverProcess';

/** An error whose message the extension already showed (command wrappers do not show it again). */
export function reported(message: string): Error {
  return Object.assign(new Error(message), { reported: true });
}

export class CoWorksClient extends LanguageClient {
  private constructor(
    private readonly server: ServerProcess,
    options: LanguageClientOptions,
  ) {
    super('coworks', 'CoWorks', () => server.start(process.env), options);
  }

  /** A client of the server binary `serverPath`, logging to `log`. */
  static create(serverPath: string, log: vscode.OutputChannel, options: LanguageClientOptions): CoWorksClient {
    const server = new ServerProcess(serverPath, (line) => log.appendLine(line));
    return new CoWorksClient(server, {
      ...options,
      outputChannel: log,
      initializationFailedHandler: () => false, // startFailure reports it
      errorHandler: {
        error: (_e, _m, count) => ({ action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true }),
        closed: () => {
          const d = server.closed();
          if (d.message) void vscode.window.showErrorMessage(d.message);
          return { action: d.restart ? CloseAction.Restart : CloseAction.DoNotRestart, handled: true };
        },
      },
    });
  }

  /** Starts the server; when it does not start, shows one message and rejects with a {@link reported} error. */
  override async start(): Promise<void> {
    try {
      await super.start();
      // vscode-languageclient resolves start() when the connection closed while starting (its close
      // handler drops the start promise first): the client is then not running.
      if (!this.isRunning()) throw new Error('the connection closed while starting');
      this.server.started();
    } catch (e) {
      const message = await this.server.startFailure(e);
      void vscode.window.showErrorMessage(message);
      throw reported(message);
    }
  }

  /** Stops the server (its exit is then not an error) and makes sure the process ends. */
  override async stop(timeout?: number): Promise<void> {
    this.server.stop();
    try {
      if (this.isRunning()) await super.stop(timeout);
    } finally {
      await this.server.reap();
    }
  }

  /** The client's messages go to the output channel only: the extension decides what to show. */
  override error(message: string, data?: unknown): void {
    super.error(message, data, false);
  }
}
