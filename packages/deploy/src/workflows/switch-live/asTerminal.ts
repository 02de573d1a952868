import { Code, ConnectError } from "@connectrpc/connect";
import { codedTerminal, isTerminalError } from "../deps";
import { NotWakeableError } from "../standby";

/** Runs a switch step, turning a final refusal into a terminal error that keeps its Connect code. */
export async function asTerminal<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ConnectError && isTerminalError(error)) throw codedTerminal(error.code, error.rawMessage);
    if (error instanceof NotWakeableError) throw codedTerminal(Code.FailedPrecondition, error.message);
    throw error;
  }
}
