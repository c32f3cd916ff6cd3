/** Entry point of the bundled action (dist/index.js). */
import { run } from './action/main.js';

await run();
