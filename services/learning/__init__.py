"""The learning loop's pure core: review each closed trade against a six-part error
taxonomy (entry, execution, volatility, risk, timing, greeks), turn the reviewed trades
into setting suggestions a person may apply, and follow the ideas a trader passed on.

Nothing here reads a clock or the network: times and bars are handed in.
- reviews: `review_trade` -> tags like `entry:rsi_stretched rsi=78`.
- suggestions: `suggest` -> at most five setting changes with their evidence.
- passed: `follow_idea` / `passed_idea` -> what a rejected or expired card's stop or
  target would have done.
"""
