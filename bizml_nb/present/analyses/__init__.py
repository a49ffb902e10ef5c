"""The analyses behind the shipped template notebooks, one module per template.

Each module gives the template's checks of its parameters taken together
(``check_parameters``, which ``bizml new`` and ``bizml run`` call before anything is
written or run, and the template's first cell calls too) and the functions its cells
call, returning cards whose ``text/plain`` and HTML lead with the decision.
"""
