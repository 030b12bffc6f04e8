import { TerminalStatus } from '../src/cli/terminal';

const CLEAR = '\r\x1b[2K';

function terminal(columns = 80): { status: TerminalStatus; written: string[]; clock: { t: number } } {
  const written: string[] = [];
  const clock = { t: 100 };
  const status = new TerminalStatus(
    { write: (text) => written.push(text), columns },
    { now: () => clock.t, tickMs: 0 },
  );
  return { status, written, clock };
}

describe('the status line on a terminal', () => {
  test('without a status, lines are written plainly', () => {
    const { status, written } = terminal();
    status.line('Deploying storage (21 objects)');
    expect(written).toEqual(['Deploying storage (21 objects)\n']);
  });

  test('lines scroll above it; it shows a spinner and the time since its key first showed', () => {
    const { status, written, clock } = terminal();
    status.set({ key: 'catalog', text: 'catalog: waiting for Polaris (polaris)' });
    clock.t += 5;
    status.line('✓ Polaris (polaris-bootstrap): Job complete');
    clock.t += 70;
    status.set({ key: 'catalog', text: 'catalog: waiting for Polaris (polaris): 0 of 1 available' });
    expect(written).toEqual([
      `${CLEAR}⠋ 0s catalog: waiting for Polaris (polaris)`,
      `${CLEAR}✓ Polaris (polaris-bootstrap): Job complete\n`,
      `${CLEAR}⠋ 5s catalog: waiting for Polaris (polaris)`,
      `${CLEAR}⠋ 1m15s catalog: waiting for Polaris (polaris): 0 of 1 available`,
    ]);
    // A new key (the next tier) starts its own time; removing the line clears it.
    written.length = 0;
    status.set({ key: 'orchestrator', text: 'orchestrator: waiting for Dagster' });
    status.set(undefined);
    status.line('Deployed.');
    expect(written).toEqual([`${CLEAR}⠋ 0s orchestrator: waiting for Dagster`, CLEAR, 'Deployed.\n']);
  });

  test('cut to the terminal width, so that the carriage return still reaches it', () => {
    const { status, written } = terminal(20);
    status.set({ key: 'k', text: 'semantic: waiting for Cube (cube-api): 0 of 2 available' });
    const shown = written[0].slice(CLEAR.length);
    expect([...shown].length).toBeLessThanOrEqual(19);
    expect(shown).toBe('⠋ 0s semantic: wai…');
  });

  test('a line to standard error moves it out of the way and back', () => {
    const { status, written } = terminal();
    status.set({ key: 'k', text: 'waiting' });
    written.length = 0;
    const err: string[] = [];
    status.around(() => err.push('warning'));
    expect(err).toEqual(['warning']);
    expect(written).toEqual([CLEAR, `${CLEAR}⠋ 0s waiting`]);
  });
});
