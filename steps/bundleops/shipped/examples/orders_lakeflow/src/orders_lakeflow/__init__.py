"""Daily revenue per country from the orders and customers tables."""
