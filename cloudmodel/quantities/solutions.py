"""Industry solutions: government and enterprise projects and the other solutions."""

from __future__ import annotations

from cloudmodel.graph import constant


@constant()
def government_anchor(model):
    """Government and enterprise projects of the anchor year [RMB_mn] = solutions.government_projects_cy2024."""
    return model.driver("solutions.government_projects_cy2024")


@constant()
def solutions_other_anchor(model):
    """Other industry solutions of the anchor year [RMB_mn] = anchor revenue × solutions.share −
    government projects."""
    return model("anchor_revenue") * model.driver("solutions.share") - model.driver("solutions.government_projects_cy2024")
