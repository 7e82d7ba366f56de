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

async function answer(account, rpcUrl, method, params) {
  switch (method) {
    case "eth_requestAccounts":
    case "eth_accounts":
      return [account.address];
    case "wallet_switchEthereumChain":
    case "wallet_addEthereumChain":
      return null;
    case "personal_sign": {
      const [data] = params;
      return account.signMessage({ message: isHex(data) ? { raw: data } : data });
    }
    case "eth_signTypedData_v4": {
      const data = JSON.parse(params[1]);
      const { EIP712Domain, ...types } = data.types;
      return account.signTypedData({
        domain: typed(data.types, "EIP712Domain", data.domain), types,
        primaryType: data.primaryType, message: typed(types, data.primaryType, data.message),
      });
    }
    case "eth_sendTransaction": {
      const [tx] = params;
      const chainId = Number(await rpc(rpcUrl, "eth_chainId"));
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

/** Gives `page` a `window.ethereum` that signs with `privateKey`; returns the account. */
export async function injectWallet(page, privateKey, rpcUrl) {
  const account = privateKeyToAccount(privateKey);
  await page.exposeFunction("__testWallet", async (method, params) => {
    try {
      return { result: await answer(account, rpcUrl, method, params) };
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
  return account;
}
