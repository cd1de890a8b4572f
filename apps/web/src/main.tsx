// Entry point: styles, the app, who is signed in, and Argon2id off the page's thread.
import { render } from 'preact';
import './styles.css';
import { App } from './app.js';
import { loadMember } from './session.js';
import { runArgon2InWorkers } from './keys/argon2-in-worker.js';

runArgon2InWorkers();
render(<App />, document.getElementById('app')!);
void loadMember().catch(() => undefined);
