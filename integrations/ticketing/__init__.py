"""The scenic areas' ticketing and gate system: live occupancy from the gates, and real-name tickets."""
