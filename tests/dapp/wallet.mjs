// A test wallet for the browser tests: an EIP-1193 provider injected into the page whose
// requests are answered here, in Node, signing with an anvil private key (real signatures; the
// node's unlocked accounts are never used). Everything else goes to the node as JSON-RPC.

import { isHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

export async function rpc(url, method, ...params) {
  const answer = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const json = await answer.json();
  if (json.error) {
    const error = new Error(json.error.message);
    error.code = json.error.code;
    throw error;
  }
  return json.result;
}

/** uint/int fields of typed data as bigints, as viem wants them. */
function typed(types, name, value) {
  if (types[name]) {
    return Object.fromEntries(types[name].map((f) => [f.name, typed(types, f.type, value[f.name])]));
  }
  if (name.endsWith("]")) return value.map((v) => typed(types, name.slice(0, name.lastIndexOf("[")), v));
  return /^u?int\d*$/.test(name) ? BigInt(value) : value;
}

/** Refuses, as MetaMask does, to act for another account than the one it holds. */
function ours(account, address) {
  if (address?.toLowerCase() !== account.address.toLowerCase()) {
    throw Object.assign(new Error(`the wallet holds ${account.address}, not ${address}`), { code: 4100 });
  }
}

/**
 * Switching networks as MetaMask does: a chain the wallet does not know is refused with 4902
 * until the page adds it (its RPC URL must answer with that chain id). `wallet.away` is the
 * chain the wallet is on while it is not the node's (null once it is).
 */
async function network(wallet, method, [request]) {
  const target = Number(request.chainId);
  const node = Number(await rpc(wallet.rpcUrl, "eth_chainId"));
  if (method === "wallet_addEthereumChain") {
    const answered = Number(await rpc(request.rpcUrls[0], "eth_chainId"));
    if (answered !== target) {
      throw Object.assign(new Error(`${request.rpcUrls[0]} is chain ${answered}, not ${target}`), { code: -32602 });
    }
    wallet.known.add(target);
  } else if (target !== wallet.away && !wallet.known.has(target)) {
    throw Object.assign(new Error(`Unrecognized chain ID ${request.chainId}`), { code: 4902 });
  }
  if (target === node) wallet.away = null; // MetaMask switches to a chain once it is added
  return null;
}

async function answer(wallet, method, params) {
  const { account, rpcUrl } = wallet;
  switch (method) {
    case "eth_requestAccounts":
    case "eth_accounts":
      return [account.address];
    case "eth_chainId":
      return wallet.away === null ? rpc(rpcUrl, method) : `0x${wallet.away.toString(16)}`;
    case "wallet_switchEthereumChain":
    case "wallet_addEthereumChain":
      return network(wallet, method, params);
    case "personal_sign": {
      const [data, address] = params;
      ours(account, address);
      return account.signMessage({ message: isHex(data) ? { raw: data } : data });
    }
    case "eth_signTypedData_v4": {
      ours(account, params[0]);
      const data = JSON.parse(params[1]);
      const { EIP712Domain, ...types } = data.types;
      return account.signTypedData({
        domain: typed(data.types, "EIP712Domain", data.domain), types,
        primaryType: data.primaryType, message: typed(types, data.primaryType, data.message),
      });
    }
    case "eth_sendTransaction": {
      const [tx] = params;
      ours(account, tx.from);
      if (wallet.away !== null) throw new Error(`the wallet is on chain ${wallet.away}, not the node's`);
      const chainId = Number(await rpc(rpcUrl, "eth_chainId"));
      if (tx.chainId !== undefined && Number(tx.chainId) !== chainId) {
        throw new Error(`the transaction is for chain ${Number(tx.chainId)}, the wallet is on ${chainId}`);
      }
      const nonce = Number(await rpc(rpcUrl, "eth_getTransactionCount", account.address, "pending"));
      const gas = BigInt(tx.gas ?? (await rpc(rpcUrl, "eth_estimateGas", tx)));
      const block = await rpc(rpcUrl, "eth_getBlockByNumber", "latest", false);
      const tip = 10n ** 9n;
      const signed = await account.signTransaction({
        type: "eip1559", chainId, nonce, to: tx.to, data: tx.data, value: BigInt(tx.value ?? 0), gas,
        maxFeePerGas: BigInt(block.baseFeePerGas) * 2n + tip, maxPriorityFeePerGas: tip,
      });
      return rpc(rpcUrl, "eth_sendRawTransaction", signed);
    }
    default:
      return rpc(rpcUrl, method, ...params);
  }
}

/**
 * Gives `page` a `window.ethereum` that signs with `privateKey`; returns the account and the
 * methods the page asks for (`asked`). With `awayOn` (a chain id), the wallet starts on that
 * chain and does not know the node's.
 */
export async function injectWallet(page, privateKey, rpcUrl, { awayOn = null } = {}) {
  const account = privateKeyToAccount(privateKey);
  const wallet = { account, rpcUrl, away: awayOn, known: new Set(awayOn === null ? [] : [awayOn]) };
  const asked = []; // the methods the page called, in order
  await page.exposeFunction("__testWallet", async (method, params) => {
    asked.push(method);
    try {
      return { result: await answer(wallet, method, params) };
    } catch (error) {
      return { error: { code: error.code ?? -32603, message: String(error.message ?? error) } };
    }
  });
  await page.addInitScript(() => {
    window.ethereum = {
      isTestWallet: true,
      async request({ method, params }) {
        const { result, error } = await window.__testWallet(method, params ?? []);
        if (error) throw Object.assign(new Error(error.message), { code: error.code });
        return result;
      },
      on() {},
      removeListener() {},
    };
  });
  return { account, asked };
}
