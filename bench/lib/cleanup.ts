/**
 * Everything a benchmark starts (redis-server, daemon and baseline children, fake servers) registers how to stop
 * it here. `cleanupAll()` runs the steps newest first, each caught, and is safe to call twice; SIGINT/SIGTERM and
 * an uncaught failure run it too, so no child outlives the benchmark.
 */
type Step = { name: string; run: () => Promise<unknown> | unknown };

const steps: Step[] = [];
let running: Promise<void> | undefined;

/** Registers a stop step; returns a function that runs it early (and removes it). */
export function onCleanup(name: string, run: Step['run']): () => Promise<void> {
  const step: Step = { name, run };
  steps.push(step);
  return async () => {
    const at = steps.indexOf(step);
    if (at === -1) return;
    steps.splice(at, 1);
    await runStep(step);
  };
}

export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    while (steps.length > 0) {
      const step = steps.pop();
      if (step) await runStep(step);
    }
  })();
  return running.finally(() => (running = undefined));
}

async function runStep(step: Step): Promise<void> {
  try {
    await step.run();
  } catch (err) {
    console.error(`cleanup "${step.name}" failed: ${(err as Error).message}`);
  }
}

/** Ctrl-C or a kill: stop every child, then exit (a second signal exits at once). */
export function installSignalHandlers(): void {
  let signals = 0;
  const handler = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) process.exit(130);
    console.error(`\n${signal}: stopping every child process…`);
    void cleanupAll().then(() => process.exit(130));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
