"""Python tasks of the restock workflow (`python: restock.<function>`).

A task's function takes the run's conf and the results of the tasks before it (by task id:
{"status", "headers", "body"}; a task mapped over `for_each` gives its items' bodies as a list) and
returns the JSON body of its own result.
"""


def batch_total(conf, tasks):
    """The number of products stored and the sum of their prices."""
    stored = tasks["store_products"]["body"]
    products = conf.get("products") or []
    return {
        "count": len(stored),
        "total_cents": sum(int(p.get("price_cents") or 0) for p in products),
        "first": tasks["first_in_catalog"]["body"]["sku"],
    }
