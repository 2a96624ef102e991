// The admin's session: signs in with the trusted `Login` operation, keeps the tokens in
// memory, refreshes the access token before it expires and signs out with `Logout`.
// The refresh token reaches localStorage only when the admin ticks "remember me".

const REMEMBER_KEY = 'textisur.playground.refreshToken';
// Refresh this long before the access token's `exp`; access tokens live 15 minutes.
const REFRESH_BEFORE_MS = 60_000;
const MIN_REFRESH_DELAY_MS = 5_000;

const SIGNED_OUT = Object.freeze({
  user: null,
  accessToken: null,
  refreshToken: null,
  expiresAt: null,
  remember: false,
  busy: false,
  error: null,
});

/**
 * When a JWT expires on this browser's clock, in milliseconds since the epoch, or null: its
 * lifetime (`exp - iat`, both set by the server) from now, so a skewed local clock does not
 * matter.
 */
export function tokenExpiry(token, now = Date.now()) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = part.padEnd(Math.ceil(part.length / 4) * 4, '=');
    const { exp, iat } = JSON.parse(atob(padded));
    if (typeof exp !== 'number') return null;
    return typeof iat === 'number' ? now + (exp - iat) * 1000 : exp * 1000;
  } catch {
    return null;
  }
}

export class Session {
  #operations;
  #endpoint;
  #storage;
  #state = SIGNED_OUT;
  #listeners = new Set();
  #timer = null;
  #refreshing = null;

  /** `operations`: the trusted operations, by name (`Login`, `RefreshSession`, `Logout`). */
  constructor(operations, { endpoint = '/graphql', storage = window.localStorage } = {}) {
    this.#operations = operations;
    this.#endpoint = endpoint;
    this.#storage = storage;
  }

  subscribe = (listener) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  snapshot = () => this.#state;

  /** Signs in again with a remembered refresh token, if there is one. */
  async restore() {
    const remembered = this.#storage.getItem(REMEMBER_KEY);
    if (remembered) {
      this.#set({ remember: true, refreshToken: remembered });
      await this.refresh();
    }
  }

  async login(email, password, remember) {
    this.#set({ busy: true, error: null });
    try {
      const data = await this.#run('Login', { input: { email, password } });
      this.#accept(data.login, remember);
    } catch (error) {
      this.#set({ busy: false, error: error.message });
    }
  }

  /** Trades the refresh token for new tokens (the old one stops working). */
  refresh() {
    this.#refreshing ??= this.#refreshOnce().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #refreshOnce() {
    const { refreshToken, remember } = this.#state;
    if (!refreshToken) return;
    try {
      const data = await this.#run('RefreshSession', { refreshToken });
      this.#accept(data.refreshSession, remember);
    } catch (error) {
      this.#clear(`session ended: ${error.message}`);
    }
  }

  async logout() {
    const { refreshToken } = this.#state;
    this.#set({ busy: true });
    try {
      if (refreshToken) await this.#run('Logout', { refreshToken });
    } catch {
      // Signing out locally matters more than telling the server.
    }
    this.#clear(null);
  }

  /** The access token for a request, refreshed first when it is about to expire. */
  async freshAccessToken() {
    const { accessToken, expiresAt } = this.#state;
    if (accessToken && expiresAt && expiresAt - Date.now() < MIN_REFRESH_DELAY_MS) {
      await this.refresh();
    }
    return this.#state.accessToken;
  }

  #accept(payload, remember) {
    const problem = payload?.userErrors?.[0];
    if (problem || !payload?.accessToken) {
      throw new Error(problem?.message ?? 'no access token in the answer');
    }
    const expiresAt = tokenExpiry(payload.accessToken);
    if (remember) {
      this.#storage.setItem(REMEMBER_KEY, payload.refreshToken);
    } else {
      this.#storage.removeItem(REMEMBER_KEY);
    }
    this.#set({
      user: payload.user,
      accessToken: payload.accessToken,
      refreshToken: payload.refreshToken,
      expiresAt,
      remember,
      busy: false,
      error: null,
    });
    this.#schedule(expiresAt);
  }

  #schedule(expiresAt) {
    clearTimeout(this.#timer);
    if (!expiresAt) return;
    const delay = Math.max(MIN_REFRESH_DELAY_MS, expiresAt - Date.now() - REFRESH_BEFORE_MS);
    this.#timer = setTimeout(() => this.refresh(), delay);
  }

  #clear(error) {
    clearTimeout(this.#timer);
    this.#storage.removeItem(REMEMBER_KEY);
    this.#state = { ...SIGNED_OUT, error };
    this.#emit();
  }

  #set(changes) {
    this.#state = { ...this.#state, ...changes };
    this.#emit();
  }

  #emit() {
    for (const listener of this.#listeners) listener();
  }

  async #run(name, variables) {
    const operation = this.#operations.get(name);
    if (!operation) throw new Error(`the server offers no ${name} operation`);
    const headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.#state.accessToken) headers.authorization = `Bearer ${this.#state.accessToken}`;
    const response = await fetch(this.#endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: operation.body, operationName: name, variables }),
    });
    const body = await response.json().catch(() => ({}));
    if (body.errors?.length) throw new Error(body.errors[0].message);
    if (!response.ok || !body.data) throw new Error(`HTTP ${response.status}`);
    return body.data;
  }
}
