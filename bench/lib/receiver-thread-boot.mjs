// Worker entry for receiver-thread.ts: workers do not inherit tsx's loader, so register it, then load the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./receiver-thread.ts');
