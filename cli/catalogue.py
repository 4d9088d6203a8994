"""`callintel catalogue`: a team's products and their synonyms, which the products CRM field is proposed from."""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.output import err, fail

catalogue = typer.Typer(
    help="A team's product catalogue: products and the other names they go by.", no_args_is_help=True
)

Synonyms = Annotated[
    list[str] | None, typer.Option("--synonym", "-s", help="Another name of the product; repeat for several.")
]


@catalogue.command("set")
def catalogue_set(team: str, name: str, synonym: Synonyms = None) -> None:
    """Add a product to the team's catalogue, or replace its synonyms."""
    from pipeline.runtime import default_runtime
    from services.catalogue import CatalogueError, set_product

    try:
        with default_runtime().db.session() as session:
            product, added = set_product(session, team, name, synonym or [])
    except CatalogueError as exc:
        raise fail(str(exc)) from None
    err.print(f"product {product.name} {'added to' if added else 'updated in'} team {team}'s catalogue")


@catalogue.command("remove")
def catalogue_remove(team: str, name: str) -> None:
    """Remove a product from the team's catalogue."""
    from pipeline.runtime import default_runtime
    from services.catalogue import CatalogueError, remove_product

    try:
        with default_runtime().db.session() as session:
            remove_product(session, team, name)
    except CatalogueError as exc:
        raise fail(str(exc)) from None
    err.print(f"product {name} removed from team {team}'s catalogue")


@catalogue.command("list")
def catalogue_list(team: str) -> None:
    """The team's products and their synonyms."""
    from pipeline.runtime import default_runtime
    from services.catalogue import CatalogueError, products

    try:
        with default_runtime().db.session() as session:
            found = products(session, team)
    except CatalogueError as exc:
        raise fail(str(exc)) from None
    table = Table("product", "synonyms")
    for product in found:
        table.add_row(product.name, ", ".join(product.synonyms))
    Console().print(table)
