def lambda_handler(event, context):
    """Fires at 02:30 Berlin time with EventBridge Scheduler's event."""
    print(f"nightly run for the tick at {event['time']}")
