"""Industry solutions: government and enterprise projects plus other industry solutions.

Lines: ``cloud.revenue.solutions`` [RMB_mn], ``cloud.revenue.solutions.government`` [RMB_mn].
Government projects grow at ``solutions.government_projects_growth``; the other solutions
(``solutions.share`` of CY2024 revenue less government projects) grow organically.
"""

from __future__ import annotations


def other_solutions_anchor(anchor_revenue, solutions_share, government_anchor):
    """Other industry solutions in the anchor year [RMB_mn] = revenue × solutions.share − government projects."""
    return anchor_revenue * solutions_share - government_anchor


def solutions_revenue(government, other):
    """cloud.revenue.solutions [RMB_mn] = government projects + other industry solutions."""
    return government + other
