"""Deploys the whole platform to an ape network and records it in deployments/<chain_id>.json.

    ape run deploy                                   # local anvil: test account 0, mock stablecoin
    ape run deploy --network ethereum:sepolia:node --account deployer --stablecoin 0x...

On a local network the deployer defaults to the first test account and a mock stablecoin is
deployed (unless `--stablecoin` names one); on any other network both `--account` and
`--stablecoin` are required. The deployer receives every platform role.
"""

from __future__ import annotations

import click
from ape import accounts, chain
from ape.api import AccountAPI, NetworkAPI
from ape.cli import ConnectedProviderCommand, account_option
from eth_utils import is_address, to_checksum_address

from scripts._lib import (
    DAY,
    METER_ADMIN_ROLE,
    OPERATOR_ROLE,
    PAUSER_ROLE,
    VERIFIER_ROLE,
    Platform,
    deploy_platform,
    deployment_block,
    role,
    write_deployments,
)


def deploy_and_record(
    deployer: AccountAPI, *, admin_delay: int = 2 * DAY, stablecoin: str | None = None
) -> Platform:
    """Deploys the platform, writes the chain's deployments file and prints what it did.

    Args:
        deployer: Pays for the deployment and receives every platform role.
        admin_delay: Seconds a new admin must wait before accepting the admin role.
        stablecoin: An existing stablecoin's address; without it, a mock stablecoin is deployed.

    Returns:
        The deployed platform (`stablecoin` None when an existing one was given).
    """
    click.echo(f"Deploying the platform on chain {chain.chain_id} from {deployer.address}")
    platform = deploy_platform(
        deployer, admin_transfer_delay=admin_delay, with_stablecoin=stablecoin is None
    )
    for name, contract in platform.contracts().items():
        click.echo(f"  {name:<17} {contract.address}  block {deployment_block(contract)}")
    if stablecoin is not None:
        platform.registry.setPaymentTokenAllowed(stablecoin, True, sender=deployer)
        click.echo(f"  {'Stablecoin':<17} {stablecoin}  (existing, allowed as payment token)")
    _echo_roles(platform, deployer, admin_delay)
    path = write_deployments(platform, chain.chain_id, stablecoin=stablecoin)
    click.echo(f"Wrote {path}")
    return platform


def _echo_roles(platform: Platform, deployer: AccountAPI, admin_delay: int) -> None:
    """Prints the roles the deployer holds, as read back from the chain."""
    held = [
        f"{contract_name}.{role_name}"
        for contract_name, contract, role_names in (
            ("AssetRegistry", platform.registry, (OPERATOR_ROLE, METER_ADMIN_ROLE, PAUSER_ROLE)),
            ("IdentityRegistry", platform.identity, (VERIFIER_ROLE,)),
        )
        for role_name in ("DEFAULT_ADMIN_ROLE", *role_names)
        if contract.hasRole(role(contract, role_name), deployer)
    ]
    click.echo(f"Roles of {deployer.address}: {', '.join(held)}")
    days = admin_delay / DAY
    click.echo(f"Admin transfers wait {admin_delay} s ({days:g} day{'' if days == 1 else 's'})")


def _checked_address(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    if not is_address(value):
        raise click.BadParameter(f"{value!r} is not an address", ctx=ctx, param=param)
    return to_checksum_address(value)


def _resolve_deployer(network: NetworkAPI, account: AccountAPI | None) -> AccountAPI:
    if account is not None:
        return account
    if network.is_local:
        return accounts.test_accounts[0]
    raise click.UsageError(f"--account is required on {network.choice}.")


def _resolve_stablecoin(network: NetworkAPI, stablecoin: str | None) -> str | None:
    if stablecoin is None:
        if network.is_local:
            return None
        raise click.UsageError(
            f"--stablecoin is required on {network.choice}: the mock stablecoin is local-only."
        )
    if not chain.provider.get_code(stablecoin):
        raise click.BadParameter(
            f"no contract at {stablecoin} on {network.choice}", param_hint="--stablecoin"
        )
    return stablecoin


@click.command(cls=ConnectedProviderCommand, short_help="Deploy the platform")
@account_option(prompt=False)
@click.option(
    "--stablecoin",
    metavar="ADDRESS",
    callback=_checked_address,
    help="Existing stablecoin to use (required outside local networks; default there: a mock).",
)
@click.option(
    "--admin-delay",
    type=click.IntRange(min=0, max=2**48 - 1),
    default=2 * DAY,
    show_default=True,
    help="Seconds a new platform admin must wait before accepting the role.",
)
def cli(
    network: NetworkAPI, account: AccountAPI | None, stablecoin: str | None, admin_delay: int
) -> None:
    """Deploys the platform and writes deployments/<chain_id>.json.

    --account takes an ape account alias (or TEST::<index>); on a local network it defaults to
    test account 0.
    """
    deployer = _resolve_deployer(network, account)
    deploy_and_record(
        deployer, admin_delay=admin_delay, stablecoin=_resolve_stablecoin(network, stablecoin)
    )
