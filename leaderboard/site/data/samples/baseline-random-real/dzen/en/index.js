polyevalData({"key":"baseline-random-real/dzen/en/index","model":"baseline:random","page_size":200,"pages":1,"parts":[["eng_Latn",0,4]],"run":"baseline-random-real","task":"dzen","variant":"en"});
