"""Medical and elderly care 智慧医养: hospital appointments through the HIS, home care, emergency calls."""
