/**
 * UndoStack is used by multi-step setups: each step that changed the
 * machine pushes how to take it back; when a later step fails, `rollback` runs them newest
 * first. An undo that fails does not stop the others; its error is kept with the original.
 */
export class UndoStack {
  private readonly steps: { what: string; undo: () => Promise<void> }[] = [];

  push(what: string, undo: () => Promise<void>): void {
    this.steps.push({ what, undo });
  }

  /**
   * Runs every undo, newest first, and returns `cause` to rethrow. If undos failed, it
   * returns an AggregateError holding the cause first, then each undo's failure.
   */
  async rollback(cause: unknown): Promise<unknown> {
    const failures: Error[] = [];
    while (this.steps.length > 0) {
      const step = this.steps.pop() as { what: string; undo: () => Promise<void> };
      try {
        await step.undo();
      } catch (err) {
        failures.push(new Error(`undo '${step.what}' failed: ${(err as Error).message}`, { cause: err }));
      }
    }
    if (failures.length === 0) return cause;
    const message = cause instanceof Error ? cause.message : String(cause);
    return new AggregateError([cause, ...failures], `${message} (and cleaning up failed: ${failures.map((f) => f.message).join('; ')})`);
  }
}
