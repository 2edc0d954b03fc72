"""What the emergency safety net must and must not catch, written before the rules were.

MUST_CATCH mixes clean, misspelled (marked "typo"), SMS-style and unusual phrasings.
MUST_NOT_CATCH are ordinary patient messages, many with words the rules look for.
"""

from __future__ import annotations

MEDICAL = "medical"
MENTAL = "mental_health"

MUST_CATCH: list[tuple[str, str]] = [
    # chest pain
    ("I have chest pain", MEDICAL),
    ("chest pian and my left arm hurts", MEDICAL),  # typo
    ("my chest hurts really bad", MEDICAL),
    ("crushing pressure in my chest", MEDICAL),
    ("my chest is killing me", MEDICAL),
    ("chest painn since last night, getting worse", MEDICAL),  # typo
    ("CHEST PAIN!!!", MEDICAL),
    ("chestpain help", MEDICAL),  # typo
    ("cheast pain and sweating", MEDICAL),  # typo
    ("sooo much chest paaaain", MEDICAL),  # typo
    ("I've had chest pain since this morning", MEDICAL),
    # breathing
    ("i cant breath", MEDICAL),  # typo
    ("cnt breathe", MEDICAL),  # typo
    ("I can\u2019t breathe", MEDICAL),
    ("i cnat breathe please help", MEDICAL),  # typo
    ("having trouble breathing", MEDICAL),
    ("my husband is not breathing", MEDICAL),
    ("she stopped breathin", MEDICAL),  # typo
    ("im so short of breth", MEDICAL),  # typo
    ("chest feels tight and I'm short of breath", MEDICAL),
    ("my baby is turning blue", MEDICAL),
    ("he's choking on food", MEDICAL),
    # heart attack
    ("im having a heart attack", MEDICAL),
    ("i think im having a hart attack", MEDICAL),  # typo
    ("my dad is having a heart atack", MEDICAL),  # typo
    # stroke signs
    ("my face is drooping", MEDICAL),
    ("my face is droopin on one side", MEDICAL),  # typo
    ("can't feel my left arm and my speech is slurred", MEDICAL),
    ("I think my mom is having a stroke", MEDICAL),
    ("my dad is having a strok", MEDICAL),  # typo
    ("sudden numbness on one side of my body", MEDICAL),
    ("her speach is slured", MEDICAL),  # typo
    ("my arm went numb and my face looks droopy", MEDICAL),
    # unconscious
    ("my son is unconscious", MEDICAL),
    ("he's unconsious", MEDICAL),  # typo
    ("he passed out and won't wake up", MEDICAL),
    ("she is unresponsive", MEDICAL),
    ("my wife fainted and isnt waking up", MEDICAL),
    # bleeding
    ("I'm bleeding a lot and it won't stop", MEDICAL),
    ("bleeding heavily from a cut on my leg", MEDICAL),
    ("severe bleeding after surgery", MEDICAL),
    ("bleding alot from my head", MEDICAL),  # typo
    ("I'm coughing up blood", MEDICAL),
    # allergic reaction
    ("my throat is closing up", MEDICAL),
    ("my tongue is swelling after i ate peanuts", MEDICAL),
    ("alergic reaction my lips are swelling", MEDICAL),  # typo
    ("i think im going into anaphalactic shock", MEDICAL),  # typo
    ("bad allergic reaction help", MEDICAL),
    # seizure, poisoning, overdose without stated intent
    ("my daughter is having a seizure", MEDICAL),
    ("he's having a seizer", MEDICAL),  # typo
    ("my kid swallowed bleach", MEDICAL),
    ("took too many pills", MEDICAL),
    ("I overdosed on my meds", MEDICAL),
    ("i think i od'd", MEDICAL),
    ("my friend overdossed", MEDICAL),  # typo
    # other
    ("worst headache of my life", MEDICAL),
    ("i feel like im dying", MEDICAL),
    ("my heart is racing and I feel like I'm going to pass out", MEDICAL),
    # suicide and self-harm
    ("I want to kill myself", MENTAL),
    ("i wanna kill myself", MENTAL),
    ("thinking of killin myself", MENTAL),  # typo
    ("i want to kil my self", MENTAL),  # typo
    ("i want to end it all", MENTAL),
    ("want to end it alll", MENTAL),  # typo
    ("I'm thinking about suicide", MENTAL),
    ("having suicidal thoughts", MENTAL),
    ("im sucidal", MENTAL),  # typo
    ("thinking about suiside", MENTAL),  # typo
    ("i dont want to live anymore", MENTAL),
    ("I don't want to be alive anymore", MENTAL),
    ("i want to die", MENTAL),
    ("i wnat to die", MENTAL),  # typo
    ("i wanna dieeee", MENTAL),  # typo
    ("I'm going to hurt myself", MENTAL),
    ("i want to hurt my self", MENTAL),
    ("I've been cutting myself again", MENTAL),
    ("ive been self harming", MENTAL),
    ("everyone would be better off without me", MENTAL),
    ("there's no reason to live", MENTAL),
    ("I'm going to jump off a bridge", MENTAL),
    ("i have a plan to end my life", MENTAL),
    ("I'm going to end it tonight", MENTAL),
    ("i want to unalive myself", MENTAL),
    ("thinking about ending it", MENTAL),
    ("i'm gonna off myself", MENTAL),
    ("i just want to go to sleep and never wake up", MENTAL),
    ("honestly i just want to kms", MENTAL),
    # hyperbole or not, a patient who writes this gets the 988 line
    ("this bill makes me want to kill myself", MENTAL),
    # overdose with intent
    ("I'm going to take all my pills tonight", MENTAL),
    ("i took a bunch of pills to end it", MENTAL),
    ("took a whole bottle of tylenol on purpose", MENTAL),
    # second round: fresh phrases written after the first rules ran, to check that the
    # rules generalize (six of these were missed at first and fixed with general patterns)
    ("my chest feels like an elephant is sitting on it", MEDICAL),
    ("pain in my chest radiating to my jaw", MEDICAL),
    ("cant catch my breath", MEDICAL),
    ("he collapsed and isnt breathing", MEDICAL),
    ("my moms face is droopy and she cant talk right", MEDICAL),
    ("dad's words are slurred", MEDICAL),
    ("im bleedin really bad", MEDICAL),  # typo
    ("cant stop the bleeding", MEDICAL),
    ("my son swallowed a battery", MEDICAL),
    ("i took like 20 pills", MEDICAL),
    ("took a dozen sleeping pills", MEDICAL),
    ("my girlfriend overdosed on heroin", MEDICAL),
    ("i think im having an allergic reaction", MEDICAL),
    ("my throat feels like its closing", MEDICAL),
    ("my daughter wont wake up", MEDICAL),
    ("having chest pains", MEDICAL),
    ("i can hardly breath", MEDICAL),  # typo
    ("heart attack", MEDICAL),
    ("stroke symptoms right now", MEDICAL),
    ("OD'd on oxy", MEDICAL),
    ("I am suicidel", MENTAL),  # typo
    ("i keep thinking about killing myself", MENTAL),
    ("im gonna end my life", MENTAL),
    ("i'm done with life", MENTAL),
    ("i just want it all to end", MENTAL),
    ("no one would miss me if i was gone", MENTAL),
    ("i have pills saved up to end it", MENTAL),
    # third round: after tightening the typo comparison (first letter kept, one edit)
    ("chest pane", MEDICAL),  # typo
    ("chets pain", MEDICAL),  # typo
    ("i cant brethe", MEDICAL),  # typo
    ("im having truble breathing", MEDICAL),  # typo
    ("my husbnd is unconcious", MEDICAL),  # typo
    ("she is unresposive", MEDICAL),  # typo
    ("my mom is haveing a stroke", MEDICAL),  # typo
    ("face drooping arm weak", MEDICAL),
    ("i took to many pills", MEDICAL),  # typo
    ("took too many pils", MEDICAL),  # typo
    ("my lips r swelling", MEDICAL),
    ("my baby isnt breathing", MEDICAL),
    ("i wana die", MENTAL),  # typo
    ("i feel suicidle", MENTAL),  # typo
    ("thinkin bout killin myself", MENTAL),  # typo
    ("gonna end it tonight", MENTAL),
    ("i cant do this anymore i want to die", MENTAL),
    # fourth round: intent to take pills, next to ordinary plans for them
    ("going to take all my pills with alcohol", MENTAL),
    ("im going to take all my pills to die", MENTAL),
    ("i wish i were dead", MENTAL),
]

MUST_NOT_CATCH: list[str] = [
    "pain in my wallet",
    "this bill is killing me",
    "I'm dying to know my balance",
    "my card expired",
    "overdue bill",
    "I'm having chest x-ray next week, can I reschedule",
    "killing time until my appointment",
    "refill my blood pressure pills",
    "dead battery on my phone",
    "stroke of luck",
    "what's my balance",
    "can I pay my bill online",
    "I need to reschedule my appointment with Dr. Shah",
    "cancel my appointment tomorrow",
    "refill my lisinopril please",
    "is my atorvastatin refill ready",
    "I was charged twice for lab work",
    "does my insurance cover physical therapy for back pain",
    "I need an appointment for my knee pain",
    "are my chest x-ray results in",
    "can I get a payment plan, the overdue notice scared me",
    "my phone died so I missed your call",
    "I missed my appointment because my car died",
    "my mom passed away last year, please remove her from my account",
    "my husband had a stroke last year, I need to book his follow-up with neurology",
    "follow-up visit after my heart attack in March",
    "bleeding gums when I floss, can I see a dentist",
    "my nose bled a little this morning, should I book a visit",
    "when is my breathing treatment appointment",
    "holding my breath waiting for insurance to pay",
    "i'm dead tired of calling about this bill",
    "the line went dead when I called billing",
    "my card was declined",
    "you guys are killing me with these fees",
    "I could kill for an earlier appointment",
    "I'd die for a Saturday appointment lol",
    "I want to end my autopay",
    "I want to end this chat",
    "I want to end all paper billing",
    "I'm dying of boredom on hold",
    "my prescription for seizure medication needs a refill",
    "I took my pills this morning, do I need to fast for labs",
    "I accidentally skipped my pills yesterday",
    "can I take two pills if I missed a dose",
    "the pharmacy gave me too many pills, they miscounted",
    "I have an allergy to penicillin, please note it on my chart",
    "my allergic reaction last month, was that ER visit covered by insurance",
    "I need a blood draw appointment",
    "my blood work results, are they ready",
    "I'm out of breath from running to catch the bus, sorry for the late reply",
    "breath test for h pylori, do I need to fast",
    "cant wait for my appointment",
    "I can't log in to pay my bill",
    "can't make it to my appointment, my car broke down",
    "I need to schedule a follow-up for my stroke rehab",
    "is the heart clinic open on saturday",
    "my arm is sore from the vaccine, is that normal",
    "I fainted at my last blood draw so please note it for next time",
    "kill the autopay please",
    "can you kill my old appointment and book a new one",
    "I'm dead serious, I never got that bill",
    "the clinic is 5 kms from my house",
    "can I pick up naloxone at the pharmacy for my brother",
    "no chest pain or trouble breathing, I just need to reschedule",
    "I'm going to lose my mind if I'm on hold again",
    "heart rate monitor charge on my bill",
    "Dr. Kim said my chest pain was just heartburn, do I owe for that visit",
    "I need to cancel, I have a bad cold",
    "do you have appointments for my son's asthma check",
    "can I get a refill for my inhaler, I'm almost out",
    "I'm having a great day, just want to pay my bill",
    "I'm having trouble with the payment page",
    "I'm having trouble paying, can I get a payment plan",
    "the overdue balance is $310",
    "my insurance card says the plan ended, do I owe the full amount",
    "paid my bill, it says pending",
    "is the main clinic on Main St open",
    # second round (see MUST_CATCH)
    "my chest x-ray bill is wrong",
    "this copay is killing my budget",
    "can I get a breathing test appointment",
    "I had a seizure 2 years ago, do I need a neurology referral",
    "I want to end my subscription to paper statements",
    "my dad died last year, close his account",
    "I'm bleeding money on these copays",
    "how many pills can I take per day",
    "should I take all my pills in the morning",
    "I want to take my pills with food",
    "my heart medication refill",
    "stroke prevention class",
    "I can not afford my breathing treatment",
    "the payment page is not responding",
    "the website is unresponsive",
    "the clinic is in front of the bus stop",
    "there's no reason to go in person right?",
    "I don't want to live in the past, just fix my bill",
    "my eye drops refill",
    "I have food poisoning, can I get a sick note",
    "I cut myself shaving, lol anyway my bill",
    "I hurt myself at the gym, can I book PT",
    "im so dead lol forgot my appointment",
    "I'm going to pass on the flu shot",
    "lots of blood tests this month, why so many",
    "I had chest pain last year and was told it was anxiety",
    "take my life savings why don't you",
    "my phone is dying, call me back",
    "I took 2 pills this morning",
    "I'm done with life insurance, cancel it",
    # third round (see MUST_CATCH)
    "he is cooking dinner, can he call you back",
    "are you joking, I already paid",
    "my mom has trouble bathing, is home care covered",
    "having trouble creating an account",
    "I was billed a lot this month",
    "I've been putting myself on a payment plan",
    "is the payment going to succeed",
    "I have terrible breath, do you have a dentist",
    "chest of drawers fell on my toe, need an appointment",
    "my son has a seizure disorder, need a refill",
    "he had a heart attack in 2019, can he see cardiology",
    "I had a seizure last week and need a follow up",
    "i took all my pills as prescribed",
    "the bleeding stopped, do I still need to come in?",
    # fourth round (see MUST_CATCH)
    "I'm going to take all my pills in the morning",
    "I want to take all my meds with me on vacation",
    "going to take all my pills to the pharmacy for a review",
    "I don't want to live with my parents anymore, update my address",
]
