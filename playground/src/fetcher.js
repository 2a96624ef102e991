// GraphiQL's fetcher: POST /graphql on this origin with the session's access token.

/**
 * `Accept: application/json` asks for the legacy response format, where request errors
 * (a typo, a refused operation) are 200 with `errors`: the response pane shows them and the
 * browser console stays free of failed-request noise.
 */
export function createFetcher(session, endpoint = '/graphql') {
  return async (params, options) => {
    const headers = { 'content-type': 'application/json', accept: 'application/json' };
    const token = await session.freshAccessToken();
    if (token) headers.authorization = `Bearer ${token}`;
    // Headers typed in GraphiQL's headers editor win over the session's.
    Object.assign(headers, options?.headers ?? {});
    const response = await fetch(endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify(params),
    });
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch {
      return { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 300)}` }] };
    }
  };
}
