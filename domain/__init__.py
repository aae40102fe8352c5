"""SellerGuard's pure domain: rules and models with no I/O or framework code."""
