// GraphiQL with the explorer, the docs (from introspection), the history, the trusted
// operations as tabs and the session bar.
import { useMemo, useSyncExternalStore } from 'react';
import { GraphiQL, HISTORY_PLUGIN } from 'graphiql';
import { explorerPlugin } from '@graphiql/plugin-explorer';
import { createFetcher } from './fetcher.js';
import { LoginPanel } from './LoginPanel.jsx';
import { operationTabs } from './operations.js';

const plugins = [HISTORY_PLUGIN, explorerPlugin()];

export function App({ session, operations, production }) {
  const state = useSyncExternalStore(session.subscribe, session.snapshot);
  const isAdmin = state.user?.role === 'ADMIN';
  // A new fetcher when the caller changes makes GraphiQL introspect again as that caller.
  const caller = state.user ? `${state.user.id}:${state.user.role}` : 'anonymous';
  const fetcher = useMemo(() => createFetcher(session), [session, caller]);
  const tabs = useMemo(() => operationTabs(operations), [operations]);
  // In production only admins may introspect: do not ask for the schema before that.
  const schema = production && !isAdmin ? null : undefined;

  return (
    <div className="tx-app">
      <LoginPanel session={session} state={state} production={production} />
      <main className="tx-ide">
        <GraphiQL
          key={caller}
          fetcher={fetcher}
          schema={schema}
          plugins={plugins}
          defaultTabs={tabs}
          defaultEditorToolsVisibility="variables"
        />
      </main>
    </div>
  );
}
