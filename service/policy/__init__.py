"""Which policy is in force: payers, versions, and the compiled engines that serve them."""
