// The playground's entry: Monaco's workers, the styles, the trusted operations, the session.
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import './playground.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.jsx';
import { loadOperations } from './operations.js';
import { Session } from './session.js';

async function start() {
  const { production, operations } = await loadOperations();
  const session = new Session(operations);
  await session.restore();
  createRoot(document.getElementById('root')).render(
    <StrictMode>
      <App session={session} operations={operations} production={production} />
    </StrictMode>,
  );
}

start();
