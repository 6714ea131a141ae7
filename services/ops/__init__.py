"""Operations: the dashboard of the operations centre and the staff console's sign-in."""
