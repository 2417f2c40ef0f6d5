"""Word lists for the benchmark's generated support forum (Teamslot, a scheduling product).

Text is drawn from ranked lists with Zipf-Mandelbrot weights, mixed the way support
posts mix them: mostly function words, then general support vocabulary, then the
thread's product area, a little of the other areas, and a long tail of rare tokens
(error codes, customer names, hostnames, versions) so the term dictionary is as large
and skewed as real text's. Titles and questions come from templates filled with each
area's entities, actions, symptoms and triggers.
"""
from __future__ import annotations

FUNCTION = """
the to i and a it is in of my that for this on but not we you have with be can when so do are if
was or from at an all as there just me get no any our after your what it's i'm don't does has been
would will only then still same also now one some they them how which other why because again here
way there's can't doesn't did into out up even back more like see know think need want use using
used try tried trying should could make sure their its than very about before while over where who
each both few most much many these those through until without against between under off once
again anyway already actually really probably maybe though however instead else yes thanks hi hello
""".split()

GENERIC = """
account settings page error issue problem working work works help update updated app team users
user email link button option support change set setup click clicked shows showing message fix
fixed days week yesterday today morning browser chrome firefox safari edge cache cleared logged
login admin workspace plan feature request thank please anyone happening happens happened random
randomly sometimes always never every since recently suddenly stopped started seems looks expected
wrong correct right missing empty blank loading load loads slow timeout screen screenshot attached
version latest old reinstall restart removed remove added add delete deleted save saved saving
enabled disabled enable disable turn turned toggle configure configured configuration profile
dashboard menu tab list view details field fields form status notification notifications customer
customers client clients company organization org manager owner colleague colleagues staff office
test testing tested works fine broken bug known workaround ticket contact reply replied answer
answered docs documentation article guide steps step first second third next previous last time
times hour hours minute minutes month months year weeks number count limit limits default custom
different multiple single several whole entire every each specific certain exact similar correctly
properly automatically manually immediately eventually later earlier currently still already
possible impossible able unable allowed blocked access denied permission required needed
""".split()

#: Per category: its slug and name, then words, then phrase slots for templates.
AREAS: dict[str, dict] = {
    "calendar-sync": {
        "name": "Calendar Sync",
        "words": """calendar calendars sync syncing synced google outlook office 365 exchange icloud apple
            ical caldav ics feed subscription events event recurring series occurrence duplicate duplicates
            busy free availability conflict conflicts two-way one-way connected connection reconnect
            disconnect disconnected token refresh oauth scope consent attendee attendees organizer
            all-day declined tentative blocked blocks overlay primary secondary shared delegate paused
            polling push channel watch interval delay delayed lag minutes outlook.com gmail teamslot""".split(),
        "entities": ["Google Calendar", "Outlook calendar", "the iCloud calendar", "my Office 365 calendar",
                     "the ICS feed", "calendar sync", "two-way sync", "recurring events", "all-day events",
                     "the shared team calendar", "the Exchange connection", "busy blocks"],
        "symptoms": ["stopped syncing", "shows events twice", "is out of sync", "keeps disconnecting",
                     "is not updating", "misses declined events", "shows the old time", "is paused every morning",
                     "takes hours to update", "creates duplicate events"],
        "actions": ["reconnect Google Calendar", "sync a shared calendar", "stop duplicate events",
                    "connect a second calendar", "subscribe to the ICS feed", "check calendars for conflicts",
                    "force a sync", "remove an old calendar connection"],
        "triggers": ["reconnecting my account", "changing my Google password", "the last update",
                     "switching to Office 365", "renaming the calendar", "adding a delegate"],
        "errors": ["invalid_grant", "SYNC_TOKEN_EXPIRED", "ErrorAccessDenied", "410 Gone", "AADSTS65001"],
    },
    "billing": {
        "name": "Billing & Plans",
        "words": """invoice invoices billing billed charge charged charges card credit payment payments refund
            refunds subscription plan plans seats seat upgrade downgrade annual monthly vat tax receipt
            receipts proration prorated coupon discount stripe paypal renewal renew cancel cancellation
            trial pricing price currency eur usd gbp amount paid unpaid overdue failed declined business
            starter pro enterprise quote purchase order address registration number company legal""".split(),
        "entities": ["my invoice", "the annual plan", "the seat count", "the VAT number", "the payment card",
                     "the refund", "my subscription", "the Business plan", "the receipt", "the proration"],
        "symptoms": ["shows the wrong amount", "was charged twice", "is missing the VAT number",
                     "did not renew", "shows too many seats", "was declined", "is still pending",
                     "has the wrong company address"],
        "actions": ["change the billing email", "add our VAT number to invoices", "get a refund",
                    "downgrade to the Starter plan", "remove unused seats", "pay by purchase order",
                    "switch to annual billing", "update the credit card", "cancel the subscription"],
        "triggers": ["upgrading mid-cycle", "adding seats", "the trial ended", "changing the currency",
                     "moving to annual billing", "removing a member"],
        "errors": ["card_declined", "PAYMENT_FAILED", "insufficient_funds", "INVOICE_VOID"],
    },
    "invites": {
        "name": "Invites & Sharing",
        "words": """invite invites invitation invitations invited inviting member members guest guests share
            sharing shared role roles owner editor viewer domain accept accepted pending expired resend
            group groups seat join joined joining onboarding bulk csv import transfer ownership leave
            left removed deactivate deactivated reactivate link links public private visibility
            round-robin host hosts collective pool assignment""".split(),
        "entities": ["the invite link", "the invitation email", "a new team member", "guest access",
                     "the owner role", "the CSV import", "round-robin", "workspace ownership", "a pending invite"],
        "symptoms": ["never arrives", "has expired", "goes to spam", "shows the wrong role",
                     "cannot be accepted", "is stuck as pending", "joins the wrong workspace"],
        "actions": ["invite my whole team", "resend an invitation", "transfer workspace ownership",
                    "share a booking page with a colleague", "bulk invite from a CSV",
                    "restrict invites to our domain", "remove a member", "change someone's role"],
        "triggers": ["the member left the company", "changing our domain", "enabling SSO",
                     "importing the CSV", "the invite expired"],
        "errors": ["INVITE_EXPIRED", "DOMAIN_NOT_ALLOWED", "SEAT_LIMIT_REACHED"],
    },
    "sso": {
        "name": "Login & SSO",
        "words": """sso saml okta azure entra onelogin jumpcloud idp provider assertion certificate metadata
            scim provisioning deprovisioning jit redirect loop mfa 2fa authenticator password reset
            session sessions expired logout verified verification identity directory attribute
            attributes claim claims nameid acs entity issuer signing signed x509 rotate rotation
            enforced enforce bypass fallback recovery codes locked lockout magic link""".split(),
        "entities": ["SAML SSO", "Okta provisioning", "the Azure AD app", "two-factor authentication",
                     "the login page", "SCIM", "the SSO certificate", "password reset", "magic link login"],
        "symptoms": ["ends in a redirect loop", "fails with an invalid signature", "logs me out every hour",
                     "does not deprovision users", "rejects the assertion", "asks for 2FA every time",
                     "sends an expired link"],
        "actions": ["set up SAML with Okta", "enforce SSO for everyone", "rotate the SAML certificate",
                    "turn on SCIM provisioning", "reset 2FA for a user", "map the email attribute",
                    "let contractors log in without SSO", "recover a locked account"],
        "triggers": ["rotating the certificate", "enforcing SSO", "the IdP migration", "changing the email domain",
                     "resetting my phone"],
        "errors": ["AADSTS50011", "InvalidSignature", "SAML_RESPONSE_EXPIRED", "NameID mismatch"],
    },
    "mobile": {
        "name": "Mobile Apps",
        "words": """ios android iphone ipad pixel samsung galaxy app apps notifications notification push
            widget widgets offline battery saver crash crashes crashing store install installed beta dark
            mode background refresh location tablet phone phones testflight play permissions face touch
            biometric lock home screen swipe tap scroll keyboard landscape portrait""".split(),
        "entities": ["the iOS app", "the Android app", "push notifications", "the home screen widget",
                     "dark mode", "offline mode", "the iPad app", "Face ID login", "the reminders"],
        "symptoms": ["crashes on launch", "does not send reminders", "is stuck on yesterday",
                     "drains the battery", "shows a blank screen", "logs out after every update",
                     "is unreadable in dark mode"],
        "actions": ["turn off push notifications", "add the widget", "see bookings offline",
                    "change availability from my phone", "log in with Face ID", "install the beta"],
        "triggers": ["updating to iOS 18", "the Android 14 update", "turning on battery saver",
                     "reinstalling the app", "switching phones"],
        "errors": ["EXC_BAD_ACCESS", "ANR", "NSURLErrorDomain -1001"],
    },
    "webhooks": {
        "name": "Integrations & Webhooks",
        "words": """webhook webhooks payload endpoint signature hmac sha256 secret retry retries delivery
            deliveries 401 403 422 429 500 502 503 zapier make slack teams hubspot salesforce zoom api rest
            key keys token tokens rate limit json header headers post request requests response responses
            event_type booking_created booking_cancelled idempotency duplicate timeout https certificate
            node python curl sdk pagination cursor sandbox integration integrations""".split(),
        "entities": ["the webhook", "webhook retries", "the REST API", "the Zapier integration",
                     "the Slack integration", "the HubSpot sync", "the API key", "Zoom links", "rate limits"],
        "symptoms": ["fires twice", "returns 422 on start_time", "times out", "fails the signature check",
                     "stops after a few deliveries", "is missing custom questions", "hits the rate limit"],
        "actions": ["verify webhook signatures", "retry failed deliveries", "create a booking through the API",
                    "post to Slack when a demo is booked", "pass custom fields to Zapier",
                    "rotate the API key", "paginate bookings"],
        "triggers": ["rotating the secret", "moving our endpoint", "the API v2 migration", "enabling Zoom"],
        "errors": ["429 Too Many Requests", "422 Unprocessable Entity", "invalid_signature", "ECONNRESET"],
    },
    "time-zones": {
        "name": "Time Zones & Scheduling",
        "words": """timezone time zone zones dst daylight saving utc gmt offset hour shifted shift pst est
            cet bst aest ist locale format 24-hour am pm reminder reminders schedule scheduling booking
            bookings slot slots availability working hours buffer buffers notice window minimum maximum
            duration durations weekday weekend holiday holidays recurring one-to-one class classes""".split(),
        "entities": ["bookings", "the reminders", "my working hours", "buffer time", "the booking window",
                     "recurring one-to-ones", "the time zone setting", "available slots", "the 24-hour format"],
        "symptoms": ["show an hour off", "are in the wrong time zone", "moved by an hour",
                     "ignore daylight saving", "show no available slots", "are ignored for back-to-back bookings",
                     "use UTC instead of local time"],
        "actions": ["set different working hours per weekday", "add buffer time between meetings",
                    "show times in the invitee's time zone", "block out holidays",
                    "limit bookings per day", "change the minimum notice"],
        "triggers": ["the daylight saving change", "travelling abroad", "changing my time zone",
                     "the clocks went back", "moving to a new office"],
        "errors": ["Invalid time zone", "TZ_MISMATCH"],
    },
    "embeds": {
        "name": "Embeds & Booking Pages",
        "words": """embed embedded iframe widget snippet script wordpress squarespace wix webflow shopify
            booking page pages css style styles height scroll responsive cookie cookies third-party consent
            csp domain allowlist popup inline button brand branding logo colors custom url slug redirect
            confirmation thank-you questions form fields hidden prefill utm tracking analytics pixel""".split(),
        "entities": ["the embedded widget", "the booking page", "the iframe", "the popup button",
                     "custom branding", "the confirmation page", "booking questions", "the inline embed"],
        "symptoms": ["is blank on WordPress", "does not resize", "is blocked by the cookie banner",
                     "scrolls twice on mobile", "ignores our brand colors", "redirects to the wrong page",
                     "loses the UTM parameters"],
        "actions": ["embed the booking page on WordPress", "prefill the name and email",
                    "redirect to our thank-you page", "change the booking page URL",
                    "add a custom question", "track bookings in Google Analytics"],
        "triggers": ["installing a cookie plugin", "changing our CSP", "moving to Webflow",
                     "renaming the page slug"],
        "errors": ["Refused to frame", "X-Frame-Options DENY", "blocked by CSP"],
    },
}

TITLE_TEMPLATES = [
    "{Entity} {symptom}",
    "{Entity} {symptom} after {trigger}",
    "How do I {action}?",
    "How can I {action}",
    "Can't {action}",
    "Is it possible to {action}?",
    "{Entity} {symptom} since {trigger}",
    "'{error}' when I try to {action}",
    "{error} error on {entity}",
    "Unable to {action} ({error})",
    "{Entity}: {symptom}",
    "Best way to {action}?",
    "{Entity} {symptom} for some users",
    "Anyone else: {entity} {symptom}?",
]

SENTENCE_TEMPLATES = [
    "{Entity} {symptom}.",
    "Since {trigger}, {entity} {symptom}.",
    "I tried to {action} but {entity} {symptom}.",
    "The error says `{error}`.",
    "We are on the {plan} plan with {n} seats.",
    "It started after {trigger}.",
    "I need to {action} for {n} people.",
    "Is there a way to {action} without {alt_action}?",
]

ANSWER_TEMPLATES = [
    "Try to {action} first, that fixed it for us.",
    "Go to Settings > {area_name} and {action}.",
    "This is a known issue with {entity} after {trigger}; support has a fix rolling out.",
    "Same problem here since {trigger}.",
    "Thanks, that fixed it!",
    "You need admin rights to {action}.",
    "If you see `{error}`, {alt_action} and try again.",
    "Did you {action}? That usually clears it.",
    "**Update:** it works after I {alt_action}.",
]

PLANS = ["Starter", "Team", "Business", "Enterprise", "Pro"]

TAG_QUALIFIERS = ["setup", "errors", "api", "admin", "mobile", "migration", "limits", "beta"]

#: Syllables for the long tail: customer, product and place names nobody else uses.
SYLLABLES = ("ka ri to mo na ve lu shi dra ne por qua ble xi zen tor vik sal mur fen "
             "lan gor bri tes om ul ax ex ion ar el ny cla tri sto").split()
HOST_SUFFIXES = ["corp", "labs", "io", "health", "school", "clinic", "studio", "legal", "group", "consulting"]
