"""The scheduled job: the daily schedule passes its `input`; the weekly cron sends
EventBridge's Scheduled Event."""


def handler(event, context):
    if event.get("detail-type") == "Scheduled Event":
        days, why = 7, "weekly run at " + event["time"]
    else:
        days, why = int(event.get("olderThanDays", 30)), "daily run"
    print(f"cleanup ({why}): removing todos older than {days} days")
    return {"olderThanDays": days}
