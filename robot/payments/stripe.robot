*** Settings ***
Documentation     Paying with Stripe: the intent, the card, the webhook, the books.

Resource          ../../keywords/api.resource
Resource          ../../keywords/buyer_flows.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/gateways.resource
Resource          ../../keywords/listings.resource
Resource          ../../keywords/purchases.resource
Resource          ../../keywords/reconciliation.resource
Resource          ../../keywords/sandbox_controls.resource
Resource          ../../keywords/webhooks.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         payments    stripe    db


*** Test Cases ***
Stripe Payment Succeeds Through The Webhook
    [Documentation]    The sale is booked when Stripe's signed webhook says so, with the server's amount.
    [Tags]    smoke
    ${listing} =    Listing To Buy From    ${SELLER}    price_per_unit=${250000}    quantity=10
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}    2.5
    Should Be Equal As Integers    ${payment}[amount]    625000
    Payment Should Be Persisted As    ${payment}    status=pending    amount=625000    currency=USD
    Available Quantity Should Be    ${listing}    7.5
    Pay With Test Card    ${BUYER}    ${payment}    expected_status=200
    Stripe Should Deliver    ${payment}    payment_intent.succeeded
    Payment Status Should Become    ${payment}    succeeded
    Payment History Should Be    ${payment}    pending    processing    succeeded
    Available Quantity Should Be    ${listing}    7.5

A Declined Card Keeps The Order Open For Another Card
    [Documentation]    Stripe lets the buyer retry on the same PaymentIntent, so a decline must not end the order.
    [Tags]    declines
    [Template]    Declined Card Should Keep The Payment Open
    pm_card_visa_chargeDeclined    card_declined    generic_decline    Your card was declined.
    pm_card_chargeDeclinedInsufficientFunds    card_declined    insufficient_funds
    ...    Your card has insufficient funds.
    pm_card_chargeDeclinedExpiredCard    expired_card    expired_card    Your card has expired.
    pm_card_chargeDeclinedIncorrectCvc    incorrect_cvc    incorrect_cvc
    ...    Your card's security code is incorrect.
    pm_card_chargeDeclinedProcessingError    processing_error    processing_error
    ...    An error occurred while processing your card. Try again in a little bit.

A Retry With A Good Card Sells The Same Order After A Decline
    [Documentation]    Money taken on a retried card must end in a sale, not in a failed payment.
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    Pay With Test Card    ${BUYER}    ${payment}    pm_card_chargeDeclined    expected_status=402
    Payment Should Be Persisted As    ${payment}    status=requires_payment_method    reserved=true
    Pay With Test Card    ${BUYER}    ${payment}    expected_status=200
    Payment Status Should Become    ${payment}    succeeded
    Payment History Should Be    ${payment}    pending    requires_payment_method    processing    succeeded
    Payment Should Be Persisted As    ${payment}    failure_code=None    reserved=true
    Available Quantity Should Be    ${listing}    ${STOCK - 1}
    Sale Emails Should Arrive Once    ${BUYER}    ${SELLER}    ${payment}

The Browser Confirms And Only The Webhook Tells The API
    [Documentation]    With Stripe.js the browser pays at Stripe directly; the signed webhook must book the sale.
    [Tags]    smoke    browser
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}    2
    Confirm In The Browser    ${payment}    pm_card_visa
    Payment Status Should Become    ${payment}    succeeded
    Payment History Should Be    ${payment}    pending    succeeded
    Available Quantity Should Be    ${listing}    ${STOCK - 2}
    Sale Emails Should Arrive Once    ${BUYER}    ${SELLER}    ${payment}

A Browser Decline Keeps Its Reason And Another Card Pays
    [Documentation]    A decline reaches us only as payment_intent.payment_failed; its codes must reach the buyer.
    [Tags]    browser    declines
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    Confirm In The Browser    ${payment}    pm_card_chargeDeclinedInsufficientFunds
    ...    expected_status=402
    Payment Status Should Become    ${payment}    requires_payment_method
    Payment Should Be Persisted As    ${payment}    failure_code=card_declined
    ...    decline_code=insufficient_funds    reserved=true
    Buyer Should See The Decline    ${BUYER}    ${payment}    card_declined    insufficient_funds
    Confirm In The Browser    ${payment}    pm_card_mastercard
    Payment Status Should Become    ${payment}    succeeded
    Available Quantity Should Be    ${listing}    ${STOCK - 1}

A 3-D Secure Challenge Passed Completes The Sale
    [Documentation]    Cards that need authentication wait in requires_action until the bank says yes.
    [Tags]    browser    3ds    sandbox-only
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    Confirm In The Browser    ${payment}    pm_card_threeDSecure2Required
    Payment Status Should Become    ${payment}    requires_action
    Payment Should Be Persisted As    ${payment}    reserved=true
    Complete 3-D Secure Challenge    ${payment}    succeed
    Payment Status Should Become    ${payment}    succeeded
    Payment History Should Be    ${payment}    pending    requires_action    succeeded

A Failed 3-D Secure Challenge Keeps The Order Open
    [Documentation]    A failed authentication is a decline: the buyer may try again, the goods stay held.
    [Tags]    browser    3ds    sandbox-only
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    Confirm In The Browser    ${payment}    pm_card_threeDSecure2Required
    Payment Status Should Become    ${payment}    requires_action
    Complete 3-D Secure Challenge    ${payment}    fail
    Payment Status Should Become    ${payment}    requires_payment_method
    Payment Should Be Persisted As    ${payment}    failure_code=payment_intent_authentication_failure
    ...    reserved=true
    Available Quantity Should Be    ${listing}    ${STOCK - 1}

A Buyer Who Gives Up At 3-D Secure Can Cancel
    [Documentation]    A buyer stuck at the bank's challenge may walk away; the goods go back on sale.
    [Tags]    browser    3ds    sandbox-only
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    Confirm In The Browser    ${payment}    pm_card_threeDSecure2Required
    Payment Status Should Become    ${payment}    requires_action
    Cancel Payment    ${BUYER}    ${payment}    expected_status=200
    Payment Should Be Persisted As    ${payment}    status=canceled    reserved=false
    Payment History Should Be    ${payment}    pending    requires_action    canceled
    Available Quantity Should Be    ${listing}    ${STOCK}

A Declined Buyer May Retry With A Card That Needs 3-D Secure
    [Documentation]    After a decline the next card may ask for authentication, and then pay.
    [Tags]    browser    3ds    declines    sandbox-only
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    Pay With Test Card    ${BUYER}    ${payment}    pm_card_chargeDeclined    expected_status=402
    Confirm In The Browser    ${payment}    pm_card_threeDSecure2Required
    Payment Status Should Become    ${payment}    requires_action
    Complete 3-D Secure Challenge    ${payment}    succeed
    Payment Status Should Become    ${payment}    succeeded
    Payment History Should Be    ${payment}    pending    requires_payment_method    requires_action
    ...    succeeded

An Abandoned Payment Expires And Is Canceled At Stripe
    [Documentation]    A buyer who walks away must not keep the goods, nor be chargeable later.
    [Tags]    expiry    sandbox-only
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}    4
    Pay With Test Card    ${BUYER}    ${payment}    pm_card_chargeDeclined    expected_status=402
    Let Payment Expire    ${payment}
    Reconciliation Should Move    ${ADMIN}    ${payment}    requires_payment_method    canceled
    Payment Should Be Persisted As    ${payment}    reserved=false
    ...    closed_at_gateway=true
    Available Quantity Should Be    ${listing}    ${STOCK}
    Stripe Should Show Intent As    ${payment}    canceled

The Amount Comes From The Listing, Never The Client
    [Documentation]    A client that sends its own amount is refused; the price is the server's to compute.
    [Tags]    security    validation
    ${listing} =    Listing To Buy From    ${SELLER}
    ${response} =    Request Purchase    ${BUYER}    ${listing}    1    amount=${1}    expected_status=422
    Problem Should Be    ${response}    422    validation_error
    Payments For Listing Should Be    ${listing}    0
    Available Quantity Should Be    ${listing}    ${STOCK}

Sellers Cannot Buy Their Own Listing
    [Documentation]    Self-dealing would fake sales volume.
    [Tags]    security    authorization
    ${listing} =    Listing To Buy From    ${SELLER}
    ${response} =    Request Purchase    ${SELLER}    ${listing}    expected_status=403
    Problem Should Be    ${response}    403
    Payments For Listing Should Be    ${listing}    0

Other Buyers Cannot See A Payment
    [Documentation]    A payment is visible to its buyer, its seller and admins only.
    [Tags]    security    authorization
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}
    ${stranger} =    Register Verified Buyer
    ${response} =    Read Payment As    ${stranger}    ${payment}    expected_status=404
    Problem Should Be    ${response}    404    payment_not_found
    FOR    ${reader}    IN    ${SELLER}    ${ADMIN}
        ${seen} =    Payment As Seen By    ${reader}    ${payment}
        Should Be Equal    ${seen}[id]    ${payment}[id]
    END

Only Active Listings Can Be Bought
    [Documentation]    A listing awaiting review is not for sale.
    ${listing} =    Create Listing As    ${SELLER}
    ${response} =    Request Purchase    ${BUYER}    ${listing}    expected_status=409
    Problem Should Be    ${response}    409    listing_not_available
    Payments For Listing Should Be    ${listing}    0

An Amount Below Stripe's Minimum Is Refused
    [Documentation]    Stripe charges nothing under its minimum: the buyer is told why and nothing is reserved.
    [Tags]    validation
    ${listing} =    Listing To Buy From    ${SELLER}    price_per_unit=${10}
    ${response} =    Request Purchase    ${BUYER}    ${listing}    1    expected_status=422
    Problem Should Be    ${response}    422    amount_not_accepted
    Available Quantity Should Be    ${listing}    ${STOCK}


*** Keywords ***
Declined Card Should Keep The Payment Open
    [Documentation]    Paying with `card` is 402 with `code`, `decline_code` and `message`; the order stays open.
    [Arguments]    ${card}    ${code}    ${decline_code}    ${message}
    ${listing} =    Listing To Buy From    ${SELLER}
    ${payment} =    Buy Listing With Stripe    ${BUYER}    ${listing}    3
    Available Quantity Should Be    ${listing}    ${STOCK - 3}
    ${response} =    Pay With Test Card    ${BUYER}    ${payment}    ${card}    expected_status=402
    ${problem} =    Problem Should Be    ${response}    402    card_declined
    VAR    &{said} =    gateway_code=${code}    decline_code=${decline_code}    detail=${message}
    Dictionary Should Contain Sub Dictionary    ${problem}    ${said}
    Payment Should Be Persisted As    ${payment}    status=requires_payment_method    failure_code=${code}
    ...    decline_code=${decline_code}    reserved=true
    Buyer Should See The Decline    ${BUYER}    ${payment}    ${code}    ${decline_code}
    Available Quantity Should Be    ${listing}    ${STOCK - 3}
