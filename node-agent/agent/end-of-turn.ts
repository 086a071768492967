/**
 * EndOfTurn is used to run `work` once at the end of the current turn of the event loop however
 * often it is asked for during that turn: what the turn produced (reports, events) goes out in
 * one call instead of one each.
 */
export class EndOfTurn {
  private scheduled = false;

  constructor(private readonly work: () => void) {}

  request(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.work();
    });
  }
}
