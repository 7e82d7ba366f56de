// The user's wallet through EIP-1193 (MetaMask or any injected provider): connect, the right
// chain, sign-in with Ethereum, and every write signed and sent by the wallet itself.

import * as api from "./api.js";

export const session = { address: null, signedIn: false, config: null };
const listeners = new Set();

export function onChange(listener) {
  listeners.add(listener);
}

function changed() {
  for (const listener of listeners) listener(session);
}

function provider() {
  if (!window.ethereum) {
    throw new Error("No wallet found: install MetaMask (or another Ethereum wallet) and reload.");
  }
  return window.ethereum;
}

const call = (method, params = []) => provider().request({ method, params });

async function checksummed(address) {
  // The API answers addresses in EIP-55 form; SIWE messages must carry that form.
  return (await api.get(`/accounts/${address.toLowerCase()}`)).address;
}

const SAVED = "energy-coownership:session";

function forget() {
  session.signedIn = false;
  api.setAccessToken(null);
  sessionStorage.removeItem(SAVED);
}

/** After a reload: the account the wallet already shares (no prompt) and a token still valid. */
export async function restore(config) {
  session.config = config;
  if (!window.ethereum || localStorage.getItem(SAVED) !== "connected") return;
  const accounts = await call("eth_accounts");
  if (!accounts.length) return;
  session.address = await checksummed(accounts[0]);
  const saved = JSON.parse(sessionStorage.getItem(SAVED) || "null");
  if (saved && saved.address === session.address && saved.expires > Date.now() / 1000 + 30) {
    api.setAccessToken(saved.token);
    session.signedIn = true;
  }
  listen();
  changed();
}

export async function connect(config) {
  session.config = config;
  const accounts = await call("eth_requestAccounts");
  if (!accounts.length) throw new Error("The wallet shared no account.");
  await ensureChain(config);
  session.address = await checksummed(accounts[0]);
  forget();
  localStorage.setItem(SAVED, "connected");
  listen();
  changed();
}

let listening = false;

function listen() {
  const eth = provider();
  if (listening || !eth.on) return;
  listening = true;
  eth.on("accountsChanged", async (list) => {
    session.address = list.length ? await checksummed(list[0]) : null;
    forget();
    changed();
  });
  eth.on("chainChanged", () => changed());
}

async function ensureChain(config) {
  const hex = `0x${config.chain_id.toString(16)}`;
  if ((await call("eth_chainId")).toLowerCase() === hex) return;
  try {
    await call("wallet_switchEthereumChain", [{ chainId: hex }]);
  } catch (error) {
    // 4902: the wallet does not know the chain (some wallets nest it in `data.originalError`).
    const unknown = error.code === 4902 || error.data?.originalError?.code === 4902;
    if (!unknown) throw error;
    if (!config.rpc_url) {
      throw new Error(`your wallet does not know ${config.chain_name} (chain id ${config.chain_id}): add it in the wallet, then connect again.`);
    }
    await call("wallet_addEthereumChain", [{
      chainId: hex, chainName: config.chain_name, rpcUrls: [config.rpc_url],
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    }]);
  }
}

function hexOf(text) {
  return "0x" + Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function signIn() {
  if (!session.address) throw new Error("Connect a wallet first.");
  const nonce = await api.post("/auth/nonce");
  const message = nonce.message_template.replace("{address}", session.address);
  const signature = await call("personal_sign", [hexOf(message), session.address]);
  const tokens = await api.post("/auth/verify", { message, signature });
  api.setAccessToken(tokens.access_token);
  session.signedIn = true;
  const expires = Math.floor(Date.now() / 1000) + tokens.expires_in;
  sessionStorage.setItem(SAVED, JSON.stringify({ address: session.address, token: tokens.access_token, expires }));
  changed();
}

async function receipt(hash) {
  for (let i = 0; i < 600; i += 1) {
    const found = await call("eth_getTransactionReceipt", [hash]);
    if (found) return found;
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`transaction ${hash} was not mined in time`);
}

async function indexed(blockNumber) {
  for (let i = 0; i < 240; i += 1) {
    const status = await api.get("/status");
    if (status.indexed_block >= blockNumber) return;
    await new Promise((done) => setTimeout(done, 250));
  }
}

/**
 * Carries out an action: the API prepares it (or says in plain words why it would fail), the
 * wallet signs every step, and this waits until the index has the last transaction's block.
 * `progress` is told what happens.
 */
export async function act(action, body, progress = () => {}) {
  if (!session.address) throw new Error("Connect a wallet first.");
  // The wallet may have been moved to another network since connecting: never send there.
  await ensureChain(session.config);
  progress("Preparing the transaction…");
  const prepared = await api.post(`/tx/${action}`, { from: session.address, ...body });
  let last = null;
  for (const step of prepared.steps) {
    if (step.kind === "signature") {
      progress(`Sign in your wallet: ${step.summary}`);
      const signature = await call("eth_signTypedData_v4", [session.address, JSON.stringify(step.typed_data)]);
      const deadline = String(step.typed_data.message.deadline);
      return act(action, { ...body, permit: { deadline, signature } }, progress);
    }
    progress(`Confirm in your wallet: ${step.summary}`);
    const params = Object.fromEntries(Object.entries(step.params).filter(([, v]) => v !== null));
    const hash = await call("eth_sendTransaction", [params]);
    progress("Waiting for the transaction to be mined…");
    last = await receipt(hash);
    if (last.status !== "0x1") throw new Error(`the transaction ${hash} reverted`);
  }
  if (last) await indexed(parseInt(last.blockNumber, 16));
  return prepared;
}
