#!/usr/bin/env node
// Entry point of the Valise server; the code lives in ../dist (built by `npm ci` / `npm run build`).
import { runServer } from '../dist/main.js';
await runServer();
