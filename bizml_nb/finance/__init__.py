"""Money over time: ROI (NPV, IRR, payback, Monte Carlo), ML adoption maturity, capacity and cost."""
