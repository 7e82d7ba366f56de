// The API client: JSON in and out, problems (RFC 9457) turned into errors with their reason.

let accessToken = null;

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `the API answered ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function setAccessToken(token) {
  accessToken = token;
}

async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  const answer = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  const json = text ? JSON.parse(text) : null;
  if (!answer.ok) throw new ApiError(answer.status, json);
  return json;
}

export const get = (path) => request("GET", path);

/** A GET whose answer is kept as text (a CSV download, or JSON to save as a file). */
export async function getText(path, accept) {
  const headers = { Accept: accept };
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  const answer = await fetch(path, { headers });
  const text = await answer.text();
  if (!answer.ok) throw new ApiError(answer.status, text ? JSON.parse(text) : null);
  return text;
}
export const post = (path, body = {}) => request("POST", path, body);
export const del = (path) => request("DELETE", path);

/** Every page of a cursor-paginated list, up to `most` rows. */
export async function all(path, most = 500) {
  const rows = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await get(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path);
    rows.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor && rows.length < most);
  return rows;
}
