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

# Fifth round: written after the NLU data's emergency examples showed the families the rules
# missed (passive ideation, burden, goodbyes, means, children and pets getting into medicines,
# overdoses by name and verb, wheezing, one-sided weakness, fainting, a bare "call 911"), and
# before the rules for them, to check that those rules generalize.
MUST_CATCH += [
    # passive ideation, burden, no point
    ("everyone would be happier if i was gone", MENTAL),
    ("i feel like such a burden to my family", MENTAL),
    ("im just a burden on every1", MENTAL),  # typo
    ("no one would even care if i died", MENTAL),
    ("whats even the point of living anymore", MENTAL),
    ("i dont see any point in going on", MENTAL),
    ("life isnt worth it anymore", MENTAL),
    ("i wish i could go to sleep and not wake up", MENTAL),
    ("i hope i dont wake up tomorow", MENTAL),  # typo
    ("i wish i was never born", MENTAL),
    ("i want to disappear forever", MENTAL),
    ("cant keep living like this", MENTAL),
    ("i cant go on anymore", MENTAL),
    ("i just want to stop existing", MENTAL),
    ("theres nothing left for me to live for", MENTAL),
    # goodbyes, the means, a plan
    ("writing my goodbye letter now", MENTAL),
    ("ive been giving away all my stuff, wont need it where im going", MENTAL),
    ("left a suicide note on the table", MENTAL),
    ("i bought a gun to end it", MENTAL),
    ("tied a noose in the garage", MENTAL),
    ("standing on the bridge about to jump", MENTAL),
    ("im on the roof and i want to jump", MENTAL),
    ("been stockpiling my pills for weeks", MENTAL),
    ("im gonna swallow every pill i have", MENTAL),
    ("gonna drive my car into a tree", MENTAL),
    ("scared im going to kill myself tonight", MENTAL),
    ("my son said he wants to kill himself", MENTAL),
    ("my daughter is cutting herself again", MENTAL),
    ("I don't feel safe alone with my thoughts right now", MENTAL),
    ("im scared ill hurt myself", MENTAL),  # SMS
    # children and pets getting into medicines and poisons
    ("my 2yo got into the medicine cabinet and ate some pills", MEDICAL),
    ("toddler ate a bunch of my vitamins", MEDICAL),
    ("the baby chewed on a laundry pod", MEDICAL),
    ("my dog ate my ibuprofen", MEDICAL),
    ("my kid drank some cleaning stuff from under the sink", MEDICAL),
    ("my son drank antifreeze", MEDICAL),
    ("kid swallowed a button battery", MEDICAL),
    # overdoses by verb and name
    ("i took like 40 tylenol", MEDICAL),
    ("popped a handful of xanax", MEDICAL),
    ("he snorted way too much fentanyl", MEDICAL),
    ("i accidentally took a double dose of my insulin and im shaking", MEDICAL),
    ("my mom took too much of her heart meds and is really dizzy", MEDICAL),
    ("swallowed a whole bottle of sleeping pills", MEDICAL),
    ("ODed on heroin, hes barely breathing", MEDICAL),
    # breathing
    ("cant breathe my asthma is really bad and my inhaler isnt helping", MEDICAL),
    ("she's wheezing and can barely speak", MEDICAL),
    ("my lips are turning blue", MEDICAL),
    ("baby is gasping and going blue", MEDICAL),
    ("i cant get enough air", MEDICAL),
    # chest
    ("feels like someone is standing on my chest", MEDICAL),
    ("sharp stabbing pain in the middle of my chest", MEDICAL),
    ("tightness in chest and pain down my left arm", MEDICAL),
    # stroke signs
    ("dads face is lopsided and he cant lift his arm", MEDICAL),
    ("my mom suddenly cant talk and her words come out jumbled", MEDICAL),
    ("the left side of my body went numb out of nowhere", MEDICAL),
    ("grandpa is slurring and his smile looks uneven", MEDICAL),
    # fainting, not responding
    ("my husband collapsed and wont respond", MEDICAL),
    ("she fainted and hit her head", MEDICAL),
    ("found my roommate passed out and cant wake him", MEDICAL),
    ("my grandma blacked out and isnt responding", MEDICAL),
    ("i feel like im gonna collapse", MEDICAL),
    ("im bleeding thru the bandage and it wont stop", MEDICAL),
    ("i think we have carbon monoxide poisoning, we all feel sick", MEDICAL),
    # an emergency said outright
    ("EMERGENCY!!!", MEDICAL),
    ("call 911 please", MEDICAL),
    ("send an ambulance now", MEDICAL),
    ("this is an emergency", MEDICAL),
    ("911 911", MEDICAL),
]

# Everyday messages about anything but health, full of the words the rules look for
# ("dying to", "killing me", "dead battery", "can't breathe lol"). None may alarm: a 911
# reply to a joke teaches patients to ignore it.
NOT_HEALTH: list[str] = [
    # dying, dead, killing
    "I'm dying to see that movie",
    "this traffic is killing me",
    "my phone battery is dead",
    "I could kill for a pizza right now",
    "that joke killed me",
    "my laptop keeps freezing and dying",
    "my plant is dying, how often should I water it",
    "the battery in my smoke detector died",
    "you're killing it at work",
    "the wifi keeps dropping dead",
    "my fantasy team is dead last",
    "the party was lit, I'm dead lol",
    "I almost died laughing at that video",
    "my car died on the highway",
    "the plant died while we were on vacation",
    "I'm dying of boredom in this lecture",
    "that exam murdered me",
    "I'm going to kill my brother for eating my fries",
    "she was dying to tell me the news",
    "the suspense is killing me",
    "my feet are killing me after the hike",
    "these shoes are killing my feet",
    "running on 2 hours of sleep, I'm dead",
    "this homework is the death of me",
    "I'd rather die than watch that movie again",
    "I'm dead serious about the trip",
    "the battery is dying, need a charger",
    "my internet connection keeps dying",
    "killing two birds with one stone",
    "you scared me to death with that mask",
    "roll a die please",
    "my daughter wants to dye her hair blue",
    # hearts, chests, breath
    "my heart is broken after that game",
    "I need to get something off my chest",
    "I have a lot on my chest to talk about",
    "hold your breath, the results are coming",
    "the view took my breath away",
    "this song slaps so hard I can't breathe lol",
    "this heat is suffocating",
    "I'm not breathing a word of this to anyone",
    "tell him to stop breathing down my neck",
    "I'm out of breath from climbing the stairs lol",
    "I'm having a heart to heart with my sister tonight",
    "this exam is going to give me a heart attack",
    "my mom is going to have a heart attack when she sees my grades",
    "my dad almost had a stroke when he saw the price",
    "what a stroke of genius",
    "the pressure at work is crushing me",
    "the engine is choking on cold mornings",
    "my engine keeps seizing up in the cold",
    # crashing, collapsing, passing out
    "the stock market crashed today",
    "my computer crashed and I lost my essay",
    "I crashed on the couch after work",
    "the tent collapsed in the wind",
    "the deal collapsed at the last minute",
    "I nearly fainted when I saw the price of gas",
    "I'm going to pass on the party tonight",
    "I passed out flyers all afternoon",
    "I blacked out the windows for movie night",
    "the storm knocked out our power",
    "my brother knocked out his opponent in the first round",
    "the printer is jammed and unresponsive",
    "my boss isn't responding to my emails",
    "my friend isn't responding to my texts",
    "my laptop won't wake up from sleep mode",
    "my teenager won't wake up for school",
    "my tire is flat and the car won't move",
    # colours, drowning, bleeding, cutting, shooting
    "the sky is turning blue again after the storm",
    "my hair is turning gray",
    "my phone screen turned blue and restarted",
    "I'm drowning in homework",
    "I'm drowning in emails",
    "bleeding edge tech is expensive",
    "my pen is bleeding through the paper",
    "the paint is bleeding through the tape",
    "lots of blood, sweat and tears went into this project",
    "shoot me the link when you get a chance",
    "take a shot at it, you might win",
    "we're going to shoot some hoops",
    "hang the picture above the couch",
    "cut the onion into small cubes",
    "I need to cut the grass",
    "he cut me off in traffic",
    # jumping, ending, going on
    "can you jump start my car",
    "is there a bridge tournament this weekend",
    "I'm going to jump in the pool",
    "let's jump on a quick call",
    "I'm about to jump into the meeting",
    "i'm about to jump off this call",
    "we're thinking of jumping ship to a new provider",
    "I'd jump at the chance",
    "I want to end my gym membership",
    "let's end things on a good note",
    "I'm thinking about ending things with my boyfriend",
    "I'm so done with this week",
    "I literally can't even",
    "I can't take this traffic anymore",
    "I can't go on Tuesday, can we do Wednesday",
    "we can't go on the trip this year",
    "I can't live without my coffee",
    "I can't keep going to these meetings",
    "what's the point of this meeting",
    "there's no point in arguing with him",
    "there's no point anymore in waiting for the bus",
    "life is good, just busy",
    "this game isn't worth the money",
    "I'm not sure the upgrade is worth it",
    # burdens, goodbyes, giving away, safety
    "I'm a burden on the team budget?",
    "I gave away my old couch",
    "giving away free kittens",
    "I'm giving away all my old books",
    "I wrote a farewell card for my coworker",
    "I wrote a goodbye note to my coworkers",
    "said goodbye to my old car today",
    "i said my goodbyes at the airport",
    "I won't need the car where I'm going, it's a walkable city",
    "I don't want to wake up early tomorrow",
    "I want to disappear under a blanket and watch movies",
    "nobody will notice if I leave the party early",
    "no one cares about my fantasy football team",
    "I'm not safe to drive after that beer, getting an uber",
    "I don't trust myself to cook for 20 people",
    "I don't feel safe driving in this snow",
    # swallowing, taking, getting into
    "how many pills come in a bottle of advil",
    "my kid got into a fight at school",
    "my dog ate my homework lol",
    "my son got into the cookie jar again",
    "the dog got into the trash",
    "my daughter took my car keys",
    "the baby took my phone and called my boss lol",
    "I took too much time on this essay",
    "took a bunch of photos at the beach",
    "I ate way too much pizza",
    "I drank too much coffee today lol",
    "we took a whole bottle of wine to the party",
    "I OD'd on netflix this weekend",
    # emergencies that are not medical
    "the emergency exit is blocked at the theater",
    "we have an emergency meeting at 3",
    "is there an emergency vet open nearby",
    "family emergency, I need to leave work early",
    "the ambulance siren woke me up",
]

# Sixth round: a fresh probe written after the fifth round passed; these were missed and
# fixed with general patterns (thoughts of dying, a blade at the wrist, blood pouring, a
# child who "found my pills and ate some", a choking baby named a few words back).
MUST_CATCH += [
    ("i cant stop thinking about dying", MENTAL),
    ("no reason to keep living", MENTAL),
    ("i want to go to sleep forever", MENTAL),
    ("tonight is the night i end it", MENTAL),
    ("i have a knife to my wrist", MENTAL),
    ("I just want the pain to stop forever", MENTAL),
    ("what if i just drove off the bridge", MENTAL),
    ("cut my hand really deep and its gushing blood", MEDICAL),
    ("blood is pouring out of my leg", MEDICAL),
    ("my kid found my pills and ate some", MEDICAL),
    ("worst headache ever came on suddenly", MEDICAL),
    ("the baby swallowed a coin and is choking", MEDICAL),
    # no punctuation: the words after a match are the next sentence, not its object
    ("crushing chest pain cold sweat", MEDICAL),
    ("my dad is unconscious the ambulance is coming", MEDICAL),
    ("my son wont wake up the ambulance is on the way", MEDICAL),
    ("my baby is suffocating under a blanket", MEDICAL),
    ("call 911 before he dies", MEDICAL),
    ("im going to jump on the tracks", MENTAL),
    ("im done with life for real", MENTAL),
]

NOT_HEALTH += [
    "I can't breathe in these jeans",
    "my mom passed out cookies at church",
    "the teacher passed out the tests",
    "she was choking back tears at the wedding",
    "my son's old car engine is choking again",
    "I'm done with everything on my to-do list",
    "I'm done with life admin for today",
    "I'm having a medical emergency with my spreadsheet lol",
    "I'm at my breaking point with this project",
    "I'm going to end it with my landlord",
    "I want to stop living paycheck to paycheck",
    "nobody would notice if I skipped class",
    "I hope I don't wake up with a hangover",
    "my toddler got into the flour",
    "my kid ate some of my candy",
    "I have a gun safety class tomorrow",
    "this project is the worst headache ever",
    "the bus drove off without me",
    "I want this meeting to end forever lol",
    "my grandpa fell asleep on the couch and won't wake up for dinner lol",
    "go jump in a lake",
    "I'm suffocating in this heat",
    "i ate some glass noodles",
    "i'm done with everything this week",
]

# Seventh round: passive ideation and burden statements that were missed (others better,
# happier or easier off without me or if I were gone; nobody, or "they", would not notice;
# a burden all the time or to the whole family; doing everyone a favor by dying), with SMS
# spellings ("2", "every1", "no1", "wouldnt"). The first ten came from a review; the rest
# were written before the rules for them ran.
MUST_CATCH += [
    ("they'd all be happier without me around", MENTAL),
    ("it would be easier for everyone if i just disappeared", MENTAL),
    ("im a burden 2 every1", MENTAL),  # SMS
    ("i just feel like such a burden all the time", MENTAL),
    ("they wouldnt even notice if i was dead", MENTAL),
    ("better for everyone if im not around", MENTAL),
    ("who would even miss me if i was gone", MENTAL),
    ("i'm a burden to my whole family", MENTAL),
    ("no1 would care if i died", MENTAL),  # SMS
    ("i'd be doing everyone a favor if i disappeared", MENTAL),
    ("my kids would be better off without me around", MENTAL),
    ("everyone would be so much happier if i just disappeared", MENTAL),
    ("things would be easier for my family if i was dead", MENTAL),
    ("my wife would be better off if i wasnt around anymore", MENTAL),
    ("theyd be better off if i just vanished", MENTAL),  # SMS
    ("it'd be easier on everybody if i was gone", MENTAL),
    ("nobody would even notice if i disappeared tomorrow", MENTAL),
    ("no one would miss me if i wasnt here", MENTAL),
    ("who would care if i died anyway", MENTAL),
    ("does anyone even care if i die", MENTAL),
    ("no1 would notice if i was gone", MENTAL),  # SMS
    ("i feel like im such a burden 2 every1", MENTAL),  # SMS
    ("im a burden to every1 around me", MENTAL),
    ("always feeling like a burden to my kids", MENTAL),
    ("id be doing my family a favor if i died", MENTAL),  # SMS
    ("honestly id be doing every1 a favor if i was gone", MENTAL),  # SMS
    ("i would be doing everybody a favour by disappearing", MENTAL),
    ("the world would be a better place without me", MENTAL),
    ("everyone would be relieved if i was gone", MENTAL),
    ("my family wouldnt even notice if i died", MENTAL),
    ("life would be easier for everyone without me in it", MENTAL),
    ("everybody would be happier with me gone", MENTAL),
    ("feel like a burden all the time lately", MENTAL),
    ("my parents would be better off if i was out of the picture", MENTAL),
    ("they wouldnt care if i was gone forever", MENTAL),
    ("i'm a burden to my family and friends", MENTAL),
    ("would anyone even miss me?", MENTAL),
    ("nobody is going to miss me", MENTAL),
]

MUST_NOT_CATCH += [
    "I feel like a burden asking so many billing questions",
    "sorry to be a burden, can you resend my statement",
    "I don't want to be a burden to my kids, does insurance cover home care",
    "nobody would care if i was late to the appointment",
    "better for everyone if im not around on friday, can we move the visit",
    "it would be easier for everyone if i just paid online",
    "no1 would care if i changed my appointment time",
    "it would be easier if i was not here for the delivery, can you leave it at the door",
    "is it ok if i'm not here, my wife can bring my son to his appointment",
]

NOT_HEALTH += [
    "the team would be better off without me on the project this week",
    "nobody would notice if I skipped the gym",
    "i'd be doing everyone a favor if i brought snacks",
    "my kids would be happier if i was around more",
    "everyone would be happier if i just paid the bill on time",
    "would anyone miss me if i left the book club",
    "my boss wouldnt even notice if i was gone for a week",
    "i'd be doing my team a favor if i took the day off",
    "no one would care if I wore jeans to the wedding",
    "the kids would be fine without me for the weekend",
    "they wouldnt even notice if i was gone for lunch",
    "doing everyone a favor by bringing cake to the office",
    "my roommates would be happier if i disappeared for the weekend lol",
    "the office would run better without me in meetings",
    "honestly the project is better without me",
    "no one would miss me at the party anyway",
    "my dog would be happier without me around lol",
    "you'd be doing me a favor if you called back",
]

# No reason left to live (a family the classifier's hold-out showed), and its look-alikes.
MUST_CATCH += [
    ("theres no reason for me to keep going", MENTAL),
    ("no reason left to keep living", MENTAL),
    ("what reason do i even have to keep living", MENTAL),
    ("i cant think of one reason to stay alive", MENTAL),
    ("dont have any reason to be alive now", MENTAL),
    ("i have zero reasons to keep going anymore", MENTAL),
]
NOT_HEALTH += [
    "give me a reason to keep going to the gym",
    "what's the reason to live in boston instead of nyc",
    "is there a reason to keep going with this plan",
    "reasons to live in denver",
    "the reason to be alive is love, said the poet",
]
