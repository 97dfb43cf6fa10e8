// Baseline for the stats endpoint: Express's own hello-world, on the same Node and Express.
import express from 'express';
import { createServer } from 'node:http';
import { listenAndReport } from './listen.js';

const app = express();
app.get('/', (_req, res) => {
  res.send('Hello World!');
});
listenAndReport(createServer(app));
process.on('SIGTERM', () => process.exit(0));
