// The bar above GraphiQL: sign in as an admin, see who is signed in, sign out.
import { useState } from 'react';

export function LoginPanel({ session, state, production }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(false);

  const submit = (event) => {
    event.preventDefault();
    session.login(email, password, remember).then(() => setPassword(''));
  };

  return (
    <header className="tx-session">
      <strong className="tx-title">TextiSur playground</strong>
      {state.user ? (
        <div className="tx-signed-in">
          <span id="session-status" role="status">
            {state.user.name} ({state.user.role})
            {state.expiresAt &&
              ` · token renewed before ${new Date(state.expiresAt).toLocaleTimeString()}`}
            {state.remember && ' · remembered on this browser'}
          </span>
          <button id="logout" type="button" onClick={() => session.logout()} disabled={state.busy}>
            Log out
          </button>
        </div>
      ) : (
        <form className="tx-login" onSubmit={submit}>
          <input id="login-email" type="email" autoComplete="username" placeholder="admin email"
            value={email} onChange={(e) => setEmail(e.target.value)} required />
          <input id="login-password" type="password" autoComplete="current-password"
            placeholder="password" value={password} onChange={(e) => setPassword(e.target.value)}
            required />
          <label title="Keeps the refresh token in this browser's localStorage">
            <input id="login-remember" type="checkbox" checked={remember}
              onChange={(e) => setRemember(e.target.checked)} />
            remember me
          </label>
          <button id="login-submit" type="submit" disabled={state.busy}>Log in</button>
          <span id="session-status" role="status">
            {production ? 'Production: only admins run their own operations.' : 'Not signed in.'}
          </span>
        </form>
      )}
      {state.error && <span className="tx-error" role="alert">{state.error}</span>}
    </header>
  );
}
