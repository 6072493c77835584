"""Profile one endpoint in process: slots (30 days), public booking creation, or the staff list.

    .venv/bin/python bench/profile_endpoints.py slots|book|list

Prints the mean time per request without a profiler, then cProfile's top
entries for the chosen endpoint. A SQLite file in /tmp; no server, no network.
"""
import cProfile, pstats, os, sys, time, uuid
from datetime import date, timedelta, datetime
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE); sys.path.insert(0, os.path.dirname(HERE))
os.environ.update(CAREOPS_DATABASE_URL="sqlite:////tmp/prof.db", CAREOPS_TASK_QUEUE="sqlite:////tmp/prof-tasks.db",
                  CAREOPS_LOG_LEVEL="WARNING", CAREOPS_SECRET_KEY="x"*40, CAREOPS_RATELIMIT_PUBLIC="100000/minute",
                  CAREOPS_RATELIMIT_LOGIN="100000/minute")
for f in ("/tmp/prof.db", "/tmp/prof-tasks.db"):
    if os.path.exists(f): os.remove(f)
from careops import create_app
from careops.extensions import db
app = create_app()
with app.app_context():
    db.create_all()
c = app.test_client()
r = c.post("/api/v1/auth/register", json={"email":"p@example.com","password":"bench-password-1","full_name":"P","workspace_name":"P","timezone":"Europe/Berlin"}).get_json()
h = {"Authorization": "Bearer " + r["access_token"]}; slug = r["workspace"]["slug"]
res = c.get("/api/v1/resources", headers=h).get_json()[0]
c.patch(f"/api/v1/resources/{res['id']}", json={"capacity": 3}, headers=h)
svc = c.post("/api/v1/services", json={"name":"C","duration_minutes":30,"resource_ids":[res["id"]],"min_notice_minutes":0,"booking_horizon_days":400}, headers=h).get_json()
c.put("/api/v1/availability", json={"rules":[{"weekday":d,"start":"08:00","end":"20:00"} for d in ("mon","tue","wed","thu","fri")]}, headers=h)
c.put("/api/v1/integrations/email", json={"provider":"console","config":{},"enabled":True,"priority":1}, headers=h)
print(c.post("/api/v1/workspace/activate", headers=h).status_code)
from booking_bench import weekday_slots
free = list(weekday_slots(date.today()+timedelta(days=10), 200))
today = date.today()
url = f"/api/v1/public/{slug}/services/{svc['id']}/slots?from={today}&to={today+timedelta(days=29)}"
def slots(n):
    for i in range(n): assert c.get(url).status_code == 200
def staff_list(n):
    frm, to = today - timedelta(days=30), today + timedelta(days=30)
    for i in range(n):
        assert c.get(f"/api/v1/bookings?from={frm}&to={to}&page={1 + i % 5}&page_size=20", headers=h).status_code == 200
def book(n, off=0):
    for i in range(n):
        rr = c.post(f"/api/v1/public/{slug}/bookings", json={"service_id": svc["id"], "start": free[off+i], "name": f"W{i}", "email": f"w{off+i}@example.com"})
        assert rr.status_code == 201, rr.get_json()
slots(3); book(3)
t=time.perf_counter(); slots(50); print("slots ms", (time.perf_counter()-t)/50*1000)
t=time.perf_counter(); book(50, 10); print("book ms", (time.perf_counter()-t)/50*1000)
t=time.perf_counter(); staff_list(50); print("list ms", (time.perf_counter()-t)/50*1000)
which = sys.argv[1]
pr = cProfile.Profile(); pr.enable()
if which == "slots": slots(50)
elif which == "list": staff_list(50)
else: book(50, 100)
pr.disable()
pstats.Stats(pr).sort_stats("cumulative").print_stats(45)
