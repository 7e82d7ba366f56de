// The live feed (/ws): one socket, the topics of the screen shown, resumed after a reconnect
// from the last position received (the server replays what was missed).

let socket = null;
let topics = new Set();
let last = null;
let handler = () => {};
let retry = 500;

export function follow(names, onMessage) {
  const next = new Set(names);
  handler = onMessage;
  if (socket && socket.readyState === WebSocket.OPEN) {
    const gone = [...topics].filter((t) => !next.has(t));
    const added = [...next].filter((t) => !topics.has(t));
    if (gone.length) socket.send(JSON.stringify({ op: "unsubscribe", topics: gone }));
    if (added.length) socket.send(JSON.stringify({ op: "subscribe", topics: added }));
    topics = next;
    return;
  }
  topics = next;
  if (!socket) open();
}

function open() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws`);
  socket.addEventListener("open", () => {
    retry = 500;
    if (!topics.size) return;
    const request = { op: "subscribe", topics: [...topics] };
    if (last) request.resume_from = last;
    socket.send(JSON.stringify(request));
  });
  socket.addEventListener("message", (message) => {
    const data = JSON.parse(message.data);
    if (data.type === "event") {
      const { block_number, block_hash, log_index } = data.event;
      last = { block_number, block_hash, log_index };
    }
    if (data.type === "event" || data.type === "head" || data.type === "resync") handler(data);
  });
  socket.addEventListener("close", () => {
    socket = null;
    setTimeout(open, retry);
    retry = Math.min(retry * 2, 10_000);
  });
}
