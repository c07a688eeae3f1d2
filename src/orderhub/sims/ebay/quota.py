"""eBay's daily call limit per resource, counted per eBay day (midnight US Pacific time)."""

from __future__ import annotations

from orderhub.sims.ebay.base import EbayBase
from orderhub.sims.ebay.errors import TOO_MANY_REQUESTS, _errors
from orderhub.sims.ebay.records import ebay_day
from orderhub.testing.sim import SimResponse


class EbayQuota(EbayBase):
    """Counts calls per resource and eBay day; past ``daily_limit`` answers 429."""

    def _charge(self, resource: str) -> SimResponse | None:
        key = (resource, ebay_day(self.clock.now()))
        used = self._usage.get(key, 0)
        if used >= self.daily_limits.get(resource, 1 << 62):
            headers = {}
            if self.quota_retry_after is not None:
                headers["Retry-After"] = str(max(0, round(self.quota_retry_after)))
            return _errors(429, TOO_MANY_REQUESTS, headers=headers)
        self._usage[key] = used + 1
        return None

    # -- quota -----------------------------------------------------------------------------------

    def calls_today(self, resource: str = "order") -> int:
        """Calls counted against ``resource`` in the current eBay day."""
        with self.lock:
            return self._usage.get((resource, ebay_day(self.clock.now())), 0)

    def use_calls(self, calls: int, resource: str = "order") -> None:
        """Count ``calls`` more calls today, as another application sharing the keyset
        would."""
        with self.lock:
            key = (resource, ebay_day(self.clock.now()))
            self._usage[key] = self._usage.get(key, 0) + calls

    def exhaust_quota(self, resource: str = "order") -> None:
        """Use up today's calls: every call answers 429 (errorId 2001) until midnight US
        Pacific time."""
        with self.lock:
            key = (resource, ebay_day(self.clock.now()))
            self._usage[key] = max(self._usage.get(key, 0), self.daily_limits[resource])
