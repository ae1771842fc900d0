// Worker entry for sse-thread.ts: workers do not inherit tsx's loader, so register it, then load the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./sse-thread.ts');
