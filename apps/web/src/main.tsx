// Entry point: styles, the app, and who is signed in.
import { render } from 'preact';
import './styles.css';
import { App } from './app.js';
import { loadMember } from './session.js';

render(<App />, document.getElementById('app')!);
void loadMember().catch(() => undefined);
