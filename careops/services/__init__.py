"""Services (booking types): what a customer can book, for how long, on which resources."""
