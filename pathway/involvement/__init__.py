"""Involvement and payment (Freeman et al. 2016, Figure 1's payment and reimbursement policy).

Being paid for involvement "made it real"; it must never put a member's benefits at risk, and
whoever handles money needs safeguards. ``activities`` reads the catalogue and its rates,
``records`` books involvement and moves it through its lifecycle, ``limits`` keeps each
member's benefit-safe limits and ``earnings`` counts what a period has earned against them.
"""
