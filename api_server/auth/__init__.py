"""The authentication floor: who the caller is, and what each operation lets them do."""
